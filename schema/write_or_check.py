"""What the generators do with their text: write it, or with --check say whether a committed file
is stale (the tests run the check, so a table or schema edited by hand fails them)."""

import sys


def write_or_check(out, text, script, usage):
    """One file; see `write_or_check_all`."""
    return write_or_check_all([(out, text)], script, usage)


def write_or_check_all(files, script, usage):
    """Each (path, text) of `files` written, or with --check compared with what is committed."""
    if sys.argv[1:] == ["--check"]:
        stale = [out for out, text in files if (out.read_text(encoding="utf-8") if out.exists() else "") != text]
        for out in stale:
            print(f"{out} is stale: run python3 schema/{script}", file=sys.stderr)
        return 1 if stale else 0
    if sys.argv[1:]:
        print(usage, file=sys.stderr)
        return 2
    for out, text in files:
        out.write_text(text, encoding="utf-8")
    return 0
