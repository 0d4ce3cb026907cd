#!/usr/bin/env python3
"""Writes schema/input.schema.json, schema/output.schema.json and docs/input-rules.md from the
hand-written rules below, schema/rules.py and the tables in schema/data/.

    python3 schema/generate.py          # rewrite them
    python3 schema/generate.py --check  # exit 1 if a committed file is not what this generates

Python 3 standard library only. The Rust validator reads the same data files for its messages, so a
rule and its wording cannot drift apart.

Every rule is a refusal Plaid documents (an error) or a rule Plaid's documents contradict or only
imply (a warning, and the value is sent). Errors are ordinary JSON Schema assertions. Warnings live
in $defs/warnings: one schema per rule, named by the rule, applied to the whole input, that a clean
input satisfies. Validators never apply $defs on their own, so the warnings do not change any
verdict; the plugin evaluates each one and reports a failure as a warning with the rule's
description (a form engine can do the same to show hints).
"""

import json
import sys
from pathlib import Path

import output_schema
import rules
from write_or_check import write_or_check_all

HERE = Path(__file__).resolve().parent
OUT = HERE / "input.schema.json"
OUTPUT = HERE / "output.schema.json"
RULES_DOC = HERE.parent / "docs" / "input-rules.md"
SCHEMA_ID = "https://github.com/plaid-idv-retry/schema/input.schema.json"

# Whitespace as both ECMAScript and Rust's regex see it (their \s differ on U+0085 and U+FEFF), so
# "at least one non-whitespace character" means the same in ajv and in jsonschema-rs.
WHITESPACE = "\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NON_BLANK = f"[^{WHITESPACE}]"
LETTER = "\\p{L}"
# What Plaid documents of an email address: no leading or trailing spaces, and RFC 3696's limits
# (a local part of at most 64 characters, 254 in all). One @ outside a quoted local part, and no
# whitespace outside one.
MAIN_EMAIL = f'^(?:[^{WHITESPACE}@"]{{1,64}}|"(?:[^"\\\\\r\n]|\\\\[^\r\n]){{0,62}}")@[^{WHITESPACE}@]+$'
# The dot-atom form that ajv-formats' "email" and jsonschema-rs's "email" both accept: no quoted
# local parts, no IP literals, an ASCII dotted domain, a local part of at most 64 characters (the
# one lookahead in the schema; ECMA-262 and fancy-regex both have it). Addresses outside it are
# RFC-compliant forms Plaid may still refuse: a warning (email_format).
EMAIL = (
    "^(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
# A real Gregorian calendar date: day ranges per month, 29 February only in leap years. Carried as a
# pattern as well as `format: date` because 2020-12 validators treat `format` as an annotation by
# default, and a form builder must still reject 2023-02-29.
_MMDD = "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
_LEAP = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
DATE = f"^(?:[0-9]{{4}}-{_MMDD}|{_LEAP}-02-29)$"
E164 = "^\\+[1-9][0-9]{1,14}$"
# Documented SSN exclusions: starts with 9, 666 or 000; 00 in positions 4-5; 0000 in positions 6-9.
SSN_EXCLUDED = "^(?:9|666|000|[0-9]{3}00|[0-9]{5}0000)"
SSN_LAST4_EXCLUDED = "^0000$"

DESCRIPTION = """\
The request body of Plaid's POST /identity_verification/retry (API version 2020-09-14): opens a new, billed \
Identity Verification session for a user whose earlier session failed, expired or needs a step-up. Credentials \
normally come from the task's settings; client_id and secret are accepted here only because Plaid allows them in \
the body, and are treated as secrets.

Every rule has a source and a class, listed in docs/input-rules.md. A refusal Plaid documents (its API description, \
its input validation page and tables, its documented errors) is an assertion of this schema: an error. A rule \
Plaid's documents contradict, or that is only inferred, is in $defs/warnings: one schema per rule, applied to the \
whole input, that validators never apply on their own; the plugin reports a failure as a warning and sends the \
value, and a form can show the rule's description as a hint. Where Plaid's documents leave a choice open:
- null means "not given" wherever Plaid's description marks a field nullable, and a field the country table marks \
not accepted may be null: the plugin leaves every null member out of the request body, as Plaid asks ("omit the key \
entirely").
- A country-only address is always allowed ("not provided, address with only country code or full address"); the \
country table's postal_code and region rules apply to a full address.
- Countries: any ISO 3166-1 alpha-2 code (plus XK, as Plaid's table writes Kosovo) except the six Plaid does not \
serve. A country Plaid's table leaves out (PR, GU, VI, AS, MP among them) draws the unlisted_country warning; its \
region must be one of its own ISO 3166-2 subdivisions, and where it has none, no region is accepted.
- region must be a current or withdrawn ISO 3166-2 subdivision of the address's country, as \
schema/data/subdivisions.json lists them (sources: {source}; {withdrawn_source}); a withdrawn one draws \
withdrawn_region. Plaid accepts \
a subset of ISO 3166-2, so a code accepted here can still be refused. Where the source lists no subdivisions for a \
country that needs a region ({shape_only}), only the code's shape is checked.
- Unknown fields are refused everywhere (UNKNOWN_FIELDS), although Plaid's OpenAPI file marks user, \
user.address and user.id_number additionalProperties: true (a generator's default: plaid-python takes extra keys \
on every model alike).
- phone_number is also checked as Plaid checks it, with libphonenumber: the plugin does that, not this schema."""


def load(name):
    return json.loads((HERE / "data" / name).read_text(encoding="utf-8"))


def nullable(schema, kind):
    """Plaid's `nullable: true`, in 2020-12 terms (ajv's strictTypes accepts a type paired with null)."""
    assert "type" not in schema
    return {"type": [kind, "null"], **schema}


def strategy(plaid):
    model = plaid["models"]["Strategy"]
    return {
        "title": "Retry strategy",
        # Plaid's own words, from its newest client: the rules for infer changed in 2020-09-14_1.778.0.
        "description": model["description"],
        "type": "string",
        "enum": model["enum"],
        "examples": ["reset"],
    }


def steps():
    def step(name, what):
        return {"title": name, "description": f"true to require {what} in the new session, false to skip it.", "type": "boolean"}

    return nullable({
        "title": "Steps (custom strategy)",
        "description": (
            "The steps of a custom retry. Required when strategy is custom and not allowed otherwise; all four "
            "are required. A custom retry overrides the template: a step set to true runs even if the template "
            "disables it. Plaid's sandbox never runs selfie_check."
        ),
        "properties": {
            "verify_sms": step("Verify SMS", "the SMS code check of the phone number"),
            "kyc_check": step("KYC check", "the data source (KYC) check"),
            "documentary_verification": step("Documentary verification", "the photo ID document check"),
            "selfie_check": {
                **step("Selfie check", "the selfie check"),
                "description": (
                    "true to require the selfie check, false to skip it. If the user already passed a selfie "
                    "check, this becomes a selfie re-authentication against the earlier selfie. Plaid's sandbox "
                    "silently turns it off."
                ),
            },
        },
        "required": ["verify_sms", "kyc_check", "documentary_verification", "selfie_check"],
        "additionalProperties": False,
    }, "object")


def name():
    def part(title, what, example):
        return {
            "title": title,
            "description": f"The user's {what}: at least one non-whitespace character, at most 100 characters.",
            "type": "string",
            "maxLength": 100,
            "pattern": NON_BLANK,
            "examples": [example],
        }

    return nullable(
        {
            "title": "Legal name",
            "description": "The user's legal name; when given, Link does not ask for it. Give both parts or leave the whole name out.",
            "properties": {
                "given_name": part("Given name", "given (first) name", "Leslie"),
                "family_name": part("Family name", "family (last) name", "Knope"),
            },
            "required": ["given_name", "family_name"],
            "additionalProperties": False,
        },
        "object",
    )


FULL_ADDRESS_FIELDS = ["street", "street2", "city", "region", "postal_code"]


REGION_SHAPE = "^[A-Z0-9]{1,3}$"


def served_countries(countries, subdivisions):
    """Every ISO 3166-1 alpha-2 code and Plaid's XK, less the countries Plaid does not serve."""
    return sorted((set(subdivisions["countries"]) | set(countries["countries"])) - set(countries["not_served"]))


def unlisted(countries, subdivisions):
    return [c for c in served_countries(countries, subdivisions) if c not in countries["countries"]]


def in_countries(codes):
    # "type" for ajv's strictTypes: this definition is compiled apart from the address's own type.
    return {"type": "object", "required": ["country"], "properties": {"country": {"enum": codes}}}


def address(countries, subdivisions):
    def given(field):
        return {"required": [field], "properties": {field: {"type": "string"}}}

    def not_accepted(field, codes, what):
        # Null is "not given": the plugin leaves it out of the body, as Plaid asks.
        return {
            "if": in_countries(codes),
            "then": {"description": f"Plaid accepts no {what} for these countries: leave the key out.", "properties": {field: {"type": "null"}}},
        }

    listed = countries["countries"]
    postal_required = [c for c in listed if c not in countries["postal_code_not_accepted"]]
    # Plaid's table: a region only where it requires one. Elsewhere: only a country's own subdivisions.
    region_not_accepted = sorted(
        [c for c in listed if c not in countries["region_required"]]
        + [c for c in unlisted(countries, subdivisions) if not subdivisions["regions"][c]]
    )

    def required_in_full(field, codes, what):
        return {
            "if": {"allOf": [{"$ref": "#/$defs/full_address"}, in_countries(codes)]},
            "then": {"description": f"A full address in these countries needs a {what}.", **given(field)},
        }

    return nullable(
        {
            "title": "Home address",
            "description": (
                "The user's home address: either only a country, or a full address with at least street and city "
                "(plus postal_code and region where the country needs them). Which of postal_code and region a "
                "country takes follows Plaid's input validation by country."
            ),
            "properties": {
                "street": nullable(
                    {
                        "title": "Street",
                        "description": "The street line: at least one letter, at most 80 characters. Required in a full address.",
                        "maxLength": 80,
                        "pattern": LETTER,
                        "examples": ["123 Main St."],
                    },
                    "string",
                ),
                "street2": nullable(
                    {
                        "title": "Street, second line",
                        "description": "Apartment, suite or unit; if given, at least one non-whitespace character, at most 50 characters.",
                        "maxLength": 50,
                        "pattern": NON_BLANK,
                        "examples": ["Unit 42"],
                    },
                    "string",
                ),
                "city": nullable(
                    {
                        "title": "City",
                        "description": "The city: at least one letter, at most 100 characters. Required in a full address.",
                        "maxLength": 100,
                        "pattern": LETTER,
                        "examples": ["Pawnee"],
                    },
                    "string",
                ),
                "region": nullable(
                    {
                        "title": "Region",
                        "description": (
                            "The state, province or other subdivision as the part of its ISO 3166-2 code after the "
                            "hyphen (IN for US-IN, RM for IT-RM), upper case; one of the address's country's "
                            "subdivisions (a withdrawn one is sent with a warning). Required in a full address for the "
                            f"{len(countries['region_required'])} countries Plaid's table requires it for, and not "
                            "accepted (leave the key out) for the other countries it lists."
                        ),
                        "pattern": REGION_SHAPE,
                        "examples": ["IN"],
                    },
                    "string",
                ),
                "postal_code": nullable(
                    {
                        "title": "Postal code",
                        "description": (
                            "2 to 10 letters or digits, without spaces or dashes (the normalize_input setting removes "
                            "them); exactly 5 digits for a US address. "
                            f"Required in a full address, except for the {len(countries['postal_code_not_accepted'])} "
                            "countries without postal codes, where it is not accepted (leave the key out)."
                        ),
                        "pattern": "^[A-Za-z0-9]{2,10}$",
                        "examples": ["46001"],
                    },
                    "string",
                ),
                "country": {
                    "title": "Country",
                    "description": (
                        "The country as its ISO 3166-1 alpha-2 code, upper case. A country Plaid's input validation "
                        "table leaves out is sent with a warning; the six Plaid does not serve are refused."
                    ),
                    "type": "string",
                    "enum": served_countries(countries, subdivisions),
                    "examples": ["US"],
                },
            },
            "required": ["country"],
            "additionalProperties": False,
            "allOf": [
                {
                    "if": {"$ref": "#/$defs/full_address"},
                    "then": {"description": "A full address needs street and city.", "allOf": [given("street"), given("city")]},
                },
                required_in_full("postal_code", postal_required, "postal code"),
                required_in_full("region", countries["region_required"], "region"),
                not_accepted("postal_code", countries["postal_code_not_accepted"], "postal code"),
                not_accepted("region", region_not_accepted, "region"),
                {
                    # Only a region of the right shape is looked up, so a malformed one gets one error.
                    "if": {"required": ["region"], "properties": {"region": {"type": "string", "pattern": REGION_SHAPE}}},
                    "then": {"$ref": "#/$defs/region_of_country"},
                },
                {
                    "if": in_countries(["US"]),
                    "then": {
                        "description": "A US postal code is a 5-digit ZIP code.",
                        "properties": {"postal_code": {"type": ["string", "null"], "pattern": "^[0-9]{5}$"}},
                    },
                },
            ],
        },
        "object",
    )


def region_of_country(subdivisions):
    """The region must be one of its country's subdivisions. The countries are found by halving the
    sorted list (an if/then/else on a country enum per level) rather than by one if/then per
    country: five short tests instead of thirty keep the full input's validation time near what
    it was without this rule."""

    def is_country(codes):
        # "type" for ajv's strictTypes: this definition is compiled apart from the address's own type.
        return {"type": "object", "required": ["country"], "properties": {"country": {"enum": codes} if len(codes) > 1 else {"const": codes[0]}}}

    def dispatch(branch):
        if len(branch) == 1:
            [(country, parts)] = branch
            return {"if": is_country([country]), "then": {"type": "object", "properties": {"region": {"enum": parts}}}}
        half = len(branch) // 2
        return {"if": is_country([c for c, _ in branch[:half]]), "then": dispatch(branch[:half]), "else": dispatch(branch[half:])}

    withdrawn = subdivisions["withdrawn"]
    listed = sorted(
        (country, sorted(parts + withdrawn.get(country, []))) for country, parts in subdivisions["regions"].items() if parts
    )
    return {
        "description": (
            "The address's region is one of its country's current or withdrawn ISO 3166-2 subdivisions, without the "
            f"country prefix (sources: {subdivisions['source']}; {subdivisions['withdrawn_source']}). The countries are "
            "looked up by halving their sorted list."
        ),
        **dispatch(listed),
    }


def full_address():
    return {
        "description": "An address that gives more than its country: any of street, street2, city, region or postal_code is present and not null.",
        "type": "object",
        "anyOf": [{"required": [f], "properties": {f: {"type": "string"}}} for f in FULL_ADDRESS_FIELDS],
    }


def id_number(types):
    rules = []
    for t in types:
        rules.append(
            {
                "if": {"required": ["type"], "properties": {"type": {"const": t["type"]}}},
                "then": {
                    "description": f"{t['country']} {t['document']}: {t['format']}.",
                    # Plaid's pattern as it runs it; where that is not what the page means, the intent is a warning.
                    "properties": {"value": {"type": "string", "pattern": t.get("published_pattern", t["pattern"])}},
                },
            }
        )
    for kind, excluded, why in [
        ("us_ssn", SSN_EXCLUDED, "Plaid rejects SSNs starting with 9, 666 or 000, or with 00 in positions 4-5 or 0000 in positions 6-9."),
    ]:
        rules.append(
            {
                "if": {"required": ["type"], "properties": {"type": {"const": kind}}},
                "then": {"description": why, "properties": {"value": {"type": "string", "not": {"pattern": excluded}}}},
            }
        )
    listing = "; ".join(f"{t['type']} ({t['country']} {t['document']}): {t['format']}" for t in types)
    return nullable(
        {
            "title": "ID number",
            "description": (
                "A national ID or tax number the user gave you; give both type and value or leave the whole "
                "id_number out. Not accepted when the address's country is one Plaid takes no ID number for."
            ),
            "properties": {
                "type": {
                    "title": "ID type",
                    "description": f"The kind of number, named by country and document. {listing}.",
                    "type": "string",
                    "enum": [t["type"] for t in types],
                    "examples": ["us_ssn"],
                },
                "value": {
                    "title": "ID value",
                    "description": (
                        "The number with spaces, dots and dashes removed, in the exact format of its type (see type). "
                        "Personal data: never logged or echoed."
                    ),
                    "type": "string",
                    "examples": ["123456789"],
                },
            },
            "required": ["type", "value"],
            "additionalProperties": False,
            "allOf": rules,
        },
        "object",
    )


def id_number_conflicts(countries, types):
    """Countries the table takes no ID number for although Plaid documents an ID type for them."""
    takes_id = set(countries["id_number_required"]) | set(countries["id_number_optional"])
    return sorted({t["country"] for t in types} - takes_id)


def address_in(codes):
    return {"required": ["address"], "properties": {"address": in_countries(codes)}}


def user(countries, types):
    takes_id = set(countries["id_number_required"]) | set(countries["id_number_optional"])
    takes_id |= set(id_number_conflicts(countries, types))
    id_not_accepted = [c for c in countries["countries"] if c not in takes_id]
    return nullable(
        {
            "title": "User data",
            "description": (
                "What you already know about the user; each part given here is not asked for again in Link. "
                "Every part is optional, but a part that is given must be complete."
            ),
            "properties": {
                "email_address": {
                    "title": "Email address",
                    "description": (
                        "An email address without surrounding spaces, at most 254 characters. One that is not a "
                        "plain ASCII address (an internationalised domain, a quoted local part) is sent with a warning."
                    ),
                    "type": "string",
                    "maxLength": 254,
                    "pattern": MAIN_EMAIL,
                    "examples": ["user@example.com"],
                },
                "phone_number": nullable(
                    {
                        "title": "Phone number",
                        "description": (
                            "The mobile number in E.164 form: +, the country code, then the number, at most 15 digits "
                            "in all; and a number libphonenumber finds valid, as Plaid checks it."
                        ),
                        "pattern": E164,
                        "examples": ["+12345678909"],
                    },
                    "string",
                ),
                "date_of_birth": {
                    "title": "Date of birth",
                    "description": "A real calendar date written YYYY-MM-DD.",
                    "type": "string",
                    "format": "date",
                    "pattern": DATE,
                    "examples": ["1975-01-18"],
                },
                "name": {"$ref": "#/$defs/name"},
                "address": {"$ref": "#/$defs/address"},
                "id_number": {"$ref": "#/$defs/id_number"},
            },
            "additionalProperties": False,
            "allOf": [
                {
                    "if": address_in(id_not_accepted),
                    "then": {
                        "description": "Plaid accepts no ID number for the address's country: leave id_number out.",
                        "properties": {"id_number": {"type": "null"}},
                    },
                }
            ],
        },
        "object",
    )


def warnings(countries, subdivisions, types):
    """$defs/warnings: each rule Plaid's documents contradict or only imply, as a schema of the whole
    input that a clean input satisfies, named by the rule and described by the warning's message.
    The shapes are the ones src/validate/fast/rules.rs reads."""

    # Each object's type, for ajv's strictTypes: a form compiles each warning schema on its own.
    kinds = {(): "object", ("user",): ["object", "null"], ("user", "address"): ["object", "null"], ("user", "id_number"): ["object", "null"]}

    def at(path, schema):
        if tuple(path) in kinds:
            schema = {"type": kinds[tuple(path)], **schema}
        for i in reversed(range(len(path))):
            schema = {"type": kinds[tuple(path[:i])], "properties": {path[i]: schema}}
        return schema

    def warning(description, schema):
        return {"description": description, **schema}

    withdrawn = subdivisions["withdrawn"]
    intended = [t for t in types if "published_pattern" in t]
    return {
        "empty": warning(
            "This ID is empty: Plaid documents it as required, not as non-empty, so it is sent as given.",
            at([], {"properties": {f: {"type": "string", "minLength": 1} for f in ["client_user_id", "template_id"]}}),
        ),
        "email_format": warning(
            "email_address is not a plain ASCII address (an internationalised domain, a quoted local part, an IP "
            "literal, a domain without a dot): RFC 3696 allows it, Plaid may refuse it; it is sent as given.",
            at(["user", "email_address"], {"type": "string", "format": "email", "pattern": EMAIL}),
        ),
        "unlisted_country": warning(
            "Plaid's input validation table has no row for this country, so its address rules are undocumented: "
            "the address is sent as given.",
            at(["user", "address", "country"], {"type": "string", "enum": countries["countries"]}),
        ),
        "withdrawn_region": warning(
            "region is a code ISO 3166-2 has withdrawn for this country; Plaid's list may still hold it, so it is "
            "sent, but prefer the current code.",
            at(["user", "address"], {"allOf": [
                {"if": in_countries([c]), "then": {"properties": {"region": {"type": ["string", "null"], "not": {"enum": codes}}}}}
                for c, codes in withdrawn.items()
            ]}),
        ),
        "id_number_conflict": warning(
            "Plaid's country table takes no ID number for the address's country, yet Plaid documents an ID type for "
            "it: the id_number is sent as given.",
            at(["user"], {"allOf": [
                {"if": address_in(id_number_conflicts(countries, types)), "then": {"properties": {"id_number": {"type": "null"}}}}
            ]}),
        ),
        "ssn_last_4_excluded": warning(
            "value cannot be the last four digits of an SSN (no SSN ends in 0000), but Plaid states that rule for whole "
            "SSNs only: it is sent as given.",
            at(["user", "id_number"], {"allOf": [
                {
                    "if": {"required": ["type"], "properties": {"type": {"const": "us_ssn_last_4"}}},
                    "then": {"properties": {"value": {"type": "string", "not": {"pattern": SSN_LAST4_EXCLUDED}}}},
                }
            ]}),
        ),
        "ungrouped_pattern": warning(
            "value matches the pattern Plaid publishes for its ID type but not what the page means ("
            + "; ".join(f"{t['type']}: {t['format']}" for t in intended)
            + "): it is sent as given.",
            at(["user", "id_number"], {"allOf": [
                {
                    "if": {"required": ["type"], "properties": {"type": {"const": t["type"]}}},
                    "then": {"properties": {"value": {"type": "string", "pattern": t["pattern"]}}},
                }
                for t in intended
            ]}),
        ),
    }


def secret(title, header):
    return {
        "title": title,
        "description": (
            f"Only if your engine cannot send the {header} header; normally set in the task's settings. A secret: "
            "never logged, echoed or returned."
        ),
        "type": "string",
        "minLength": 1,
        "writeOnly": True,
    }


def schema():
    countries = load("countries.json")
    types = load("id-numbers.json")["id_numbers"]
    subdivisions = load("subdivisions.json")
    plaid = load("plaid.json")
    documented = plaid["models"]["IDNumberType"]["enum"]
    assert sorted(documented) == sorted(t["type"] for t in types), "id-numbers.json and Plaid's IDNumberType differ"
    assert list(subdivisions["regions"])[: len(countries["region_required"])] == countries["region_required"], (
        "run python3 schema/subdivisions.py"
    )
    shape_only = [c for c in countries["region_required"] if not subdivisions["regions"][c]]
    description = DESCRIPTION.format(
        source=subdivisions["source"], withdrawn_source=subdivisions["withdrawn_source"], shape_only=", ".join(shape_only)
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "$comment": f"Generated by schema/generate.py from schema/data/ (Plaid's description: {plaid['source']}).",
        "title": "Retry a Plaid Identity Verification",
        "description": description,
        "type": "object",
        "properties": {
            "client_user_id": {
                "title": "Client user ID",
                "description": (
                    "Your own ID for the user, the same one the earlier session used. Not an email address, phone "
                    "number or other personal data: Plaid asks you not to put any there."
                ),
                "type": "string",
                "examples": ["your-db-id-3b24110"],
            },
            "template_id": {
                "title": "Template ID",
                "description": (
                    "The Identity Verification template to run, case-sensitive; usually the earlier session's, or "
                    "another one to step the user up."
                ),
                "type": "string",
                "examples": ["idvtmp_52xR9LKo77r1Np"],
            },
            "strategy": strategy(plaid),
            "steps": {"$ref": "#/$defs/steps"},
            "user": {"$ref": "#/$defs/user"},
            "is_shareable": nullable(
                {
                    "title": "Shareable link",
                    "description": "true to get a shareable_url for the new session; left out or null keeps the earlier session's setting.",
                    "examples": [True],
                },
                "boolean",
            ),
            "client_id": secret("Plaid client ID", "PLAID-CLIENT-ID"),
            "secret": secret("Plaid secret", "PLAID-SECRET"),
        },
        "required": ["client_user_id", "template_id", "strategy"],
        "additionalProperties": False,
        "allOf": [
            {
                "if": {"required": ["strategy"], "properties": {"strategy": {"const": "custom"}}},
                "then": {"description": "A custom retry needs steps.", "required": ["steps"], "properties": {"steps": {"type": "object"}}},
            },
            {
                "if": {"required": ["strategy"], "properties": {"strategy": {"enum": ["reset", "incomplete", "infer"]}}},
                "then": {"description": "Only a custom retry takes steps.", "properties": {"steps": {"const": None}}},
            },
        ],
        "$defs": {
            "steps": steps(),
            "user": user(countries, types),
            "name": name(),
            "address": address(countries, subdivisions),
            "full_address": full_address(),
            "region_of_country": region_of_country(subdivisions),
            "id_number": id_number(types),
            "warnings": warnings(countries, subdivisions, types),
        },
        "examples": [
            {"client_user_id": "your-db-id-3b24110", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "reset"},
            {
                "client_user_id": "your-db-id-3b24110",
                "template_id": "idvtmp_52xR9LKo77r1Np",
                "strategy": "custom",
                "steps": {"verify_sms": True, "kyc_check": True, "documentary_verification": False, "selfie_check": False},
                "is_shareable": True,
            },
        ],
    }


# Each request model of Plaid's, and where the schema describes it.
REQUEST_MODELS = {
    "IdentityVerificationRetryRequest": "",
    "IdentityVerificationRetryRequestStepsObject": "/$defs/steps",
    "IdentityVerificationRequestUser": "/$defs/user",
    "IdentityVerificationRequestUserName": "/$defs/name",
    "UserAddress": "/$defs/address",
    "UserIDNumber": "/$defs/id_number",
}


def check_against_plaid(doc, plaid):
    """The schema's fields, required keys and nullable fields are Plaid's, model by model."""

    def at(pointer):
        node = doc
        for part in pointer.split("/")[1:]:
            node = node[part]
        return node

    def resolved(node):
        return at(node["$ref"][1:]) if "$ref" in node else node

    for model, pointer in REQUEST_MODELS.items():
        fields = plaid["models"][model]["fields"]
        node = at(pointer)
        assert sorted(node["properties"]) == sorted(fields), f"{model}: the schema's fields are not Plaid's"
        for name, field in fields.items():
            kinds = resolved(node["properties"][name])["type"]
            assert ("null" in kinds) == field["nullable"], f"{model}.{name}: nullable is not Plaid's"
            assert (name in node.get("required", [])) == field["required"], f"{model}.{name}: required is not Plaid's"


def render():
    doc = schema()
    check_against_plaid(doc, load("plaid.json"))
    return json.dumps(doc, indent=2) + "\n"


def main():
    output = json.dumps(output_schema.schema(load("plaid.json")), indent=2) + "\n"
    table = rules.render(load("plaid.json")["source"])
    return write_or_check_all([(OUT, render()), (OUTPUT, output), (RULES_DOC, table)], "generate.py", __doc__)


if __name__ == "__main__":
    sys.exit(main())
