#!/usr/bin/env python3
"""Writes schema/data/subdivisions.json: the ISO 3166-1 country codes, and the current and
withdrawn ISO 3166-2 subdivision codes of every country whose addresses may take a region, from
pinned copies of maintained sources.

    pip install -r schema/requirements.txt   # pycountry, pinned
    npm ci --prefix schema                   # cldr-core, pinned in schema/package.json
    python3 schema/subdivisions.py           # rewrite the table
    python3 schema/subdivisions.py --check   # exit 1 if the committed table is not what this extracts

Current codes come from pycountry, which ships Debian's iso-codes data as it is. Withdrawn codes
come from CLDR's subdivision aliases (cldr-core's supplemental/aliases.json: every alias whose
code is not a current one), and from ISO's own change notices where CLDR has no alias (WITHDRAWN
below). Only what the input schema needs is kept: the part of each code after the hyphen (Plaid
takes "CA", not "US-CA"), for the countries schema/data/countries.json marks region_required and
the ISO countries Plaid's table leaves out (their region rules are undocumented). A country the
source lists without subdivisions keeps an empty list. Then run python3 schema/generate.py.
"""

import json
import re
import sys
from importlib import metadata
from pathlib import Path

from write_or_check import write_or_check

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "subdivisions.json"
PACKAGE = "pycountry"
# The pins live in schema/requirements.txt (tests/requirements.txt includes it) and schema/package.json.
PINNED = re.search(rf"^{PACKAGE}==(\S+)$", (HERE / "requirements.txt").read_text(), re.M).group(1)
CLDR = "cldr-core"
CLDR_PINNED = json.loads((HERE / "package.json").read_text())["dependencies"][CLDR]
CLDR_DIR = HERE / "node_modules" / CLDR
# The shape the schema's region pattern allows; a source code outside it would need that pattern widened.
PART = re.compile(r"[A-Z0-9]{1,3}")
# Withdrawn codes no alias in CLDR records, each with ISO's notice. India: ISO 3166-2 newsletter
# of 2020-11-24 (IN-DD and IN-DN deleted, IN-DH added) and the Online Browsing Platform's change
# of 2023-11-23 ("Change of subdivision code from IN-OR to IN-OD, from IN-CT to IN-CG, from IN-TG
# to IN-TS, from IN-UT to IN-UK").
WITHDRAWN = {"IN": ["CT", "DD", "DN", "OR", "TG", "UT"]}


def cldr_aliases():
    """CLDR's subdivision aliases as (country, code) pairs: `cn11` is CN-11."""
    version = json.loads((CLDR_DIR / "package.json").read_text())["version"] if CLDR_DIR.exists() else None
    if version != CLDR_PINNED:
        sys.exit(f"{CLDR} {version} is installed; this table is made from {CLDR_PINNED}: npm ci --prefix schema")
    aliases = json.loads((CLDR_DIR / "supplemental" / "aliases.json").read_text(encoding="utf-8"))
    for alias in aliases["supplemental"]["metadata"]["alias"]["subdivisionAlias"]:
        yield alias[:2].upper(), alias[2:].upper()


def table():
    version = metadata.version(PACKAGE)
    if version != PINNED:
        sys.exit(f"{PACKAGE} {version} is installed; this table is made from {PINNED}: pip install -r schema/requirements.txt")
    import pycountry

    countries = json.loads((HERE / "data" / "countries.json").read_text(encoding="utf-8"))
    iso = sorted(c.alpha_2 for c in pycountry.countries)
    listed = set(countries["countries"])
    unlisted = [c for c in iso if c not in listed and c not in countries["not_served"]]
    regions, withdrawn = {}, {}
    aliases = list(cldr_aliases())
    for country in countries["region_required"] + unlisted:
        parts = []
        for sub in pycountry.subdivisions.get(country_code=country) or []:
            prefix, part = sub.code.split("-", 1)
            assert prefix == country, sub.code
            if not PART.fullmatch(part):
                sys.exit(f"{sub.code}: the part after the hyphen is not 1 to 3 upper-case letters or digits")
            parts.append(part)
        regions[country] = sorted(parts)
        old = {code for c, code in aliases if c == country} | set(WITHDRAWN.get(country, []))
        old = sorted(code for code in old - set(parts) if PART.fullmatch(code))
        if old:
            withdrawn[country] = old
    return {
        "about": (
            "countries: the ISO 3166-1 alpha-2 codes. regions: ISO 3166-2 subdivision codes without their country "
            "prefix (US-CA is CA), for each country whose addresses take a region (region_required in "
            "countries.json) and each ISO country Plaid's table leaves out; an empty list: the source has no "
            "subdivisions for that country. withdrawn: codes of those countries that ISO has withdrawn. Generated "
            "by schema/subdivisions.py; do not edit by hand."
        ),
        "source": f"{PACKAGE} {version} (PyPI), which ships Debian's iso-codes data",
        "withdrawn_source": (
            f"{CLDR} {CLDR_PINNED} (npm, CLDR's subdivision aliases) and ISO's change notices for India "
            "(2020-11-24, 2023-11-23)"
        ),
        "countries": iso,
        "regions": regions,
        "withdrawn": withdrawn,
    }


def render():
    doc = table()
    # One line per country keeps the diff of a source update readable.
    head = {k: v for k, v in doc.items() if k not in ("countries", "regions", "withdrawn")}
    text = json.dumps(head, indent=2)[:-2] + ',\n  "countries": ' + json.dumps(doc["countries"])
    for key in ["regions", "withdrawn"]:
        lines = [f'    "{c}": {json.dumps(parts)}' for c, parts in doc[key].items()]
        text += f',\n  "{key}": {{\n' + ",\n".join(lines) + "\n  }"
    return text + "\n}\n"


def main():
    text = render()
    assert json.loads(text) == table()
    return write_or_check(OUT, text, "subdivisions.py", __doc__)


if __name__ == "__main__":
    sys.exit(main())
