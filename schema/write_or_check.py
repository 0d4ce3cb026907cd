"""What both generators do with their text: write it, or with --check say whether the committed
file is stale (the tests run the check, so a table or schema edited by hand fails them)."""

import sys


def write_or_check(out, text, script, usage):
    if sys.argv[1:] == ["--check"]:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is stale: run python3 schema/{script}", file=sys.stderr)
            return 1
        return 0
    if sys.argv[1:]:
        print(usage, file=sys.stderr)
        return 2
    out.write_text(text, encoding="utf-8")
    return 0
