#!/usr/bin/env python3
"""Writes schema/input.schema.json from the hand-written rules below and the tables in schema/data/.

    python3 schema/generate.py          # rewrite the schema
    python3 schema/generate.py --check  # exit 1 if the committed schema is not what this generates

Python 3 standard library only. The Rust validator reads the same data files for its messages, so a
rule and its wording cannot drift apart.
"""

import json
import sys
from pathlib import Path

from write_or_check import write_or_check

HERE = Path(__file__).resolve().parent
OUT = HERE / "input.schema.json"
SCHEMA_ID = "https://github.com/plaid-idv-retry/schema/input.schema.json"

# Whitespace as both ECMAScript and Rust's regex see it (their \s differ on U+0085 and U+FEFF), so
# "at least one non-whitespace character" means the same in ajv and in jsonschema-rs.
WHITESPACE = "\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NON_BLANK = f"[^{WHITESPACE}]"
LETTER = "\\p{L}"
# The dot-atom form that ajv-formats' "email" and jsonschema-rs's "email" both accept: no quoted
# local parts, no IP literals, a dotted domain, a local part of at most 64 characters (the one
# lookahead in the schema; ECMA-262 and fancy-regex both have it). Real-world addresses fit it.
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

This schema carries every input rule Plaid documents, most of which Plaid's OpenAPI file states only in prose. Where \
Plaid's documents contradict each other, it chooses as follows:
- id_number.type accepts 36 types: the 35 of OpenAPI 2020-09-14_1.697.4 plus in_epic, which Plaid's input \
validation page and its current Python client list (the client's changelog calls it a missing enum value).
- cn_resident_card: Plaid's published pattern has an ungrouped alternation that matches any text starting with 15 \
digits; this schema requires the whole value to be 15 digits, or 17 digits then a digit or X, as the page intends.
- Unknown fields are rejected everywhere, although the OpenAPI file marks user.address and user.id_number \
additionalProperties: true: Plaid answers extra body fields with UNKNOWN_FIELDS. That includes steps.liveness, \
which one docs page mentions but neither the API spec nor Plaid's clients have, and user.gave_consent, which \
belongs to /identity_verification/create.
- Plaid's country table says postal_code/region are required whenever an address is sent, while the same field is \
documented as "only a country code, or a full address". Both hold here: a country-only address is always allowed, \
and the country's postal_code/region rules apply to a full address. Fields the table marks not accepted must be \
left out, even as null, in either form.
- For EG, JO, KW, OM, RO and SA the country table says an ID number is not accepted, yet Plaid documents an ID type \
for each. The type is documented as input, so this schema accepts an id_number for those countries; for every \
other country the table marks not accepted, an id_number is rejected when the address names that country.
- Countries are those Plaid's country table lists (209, including XK for Kosovo). Countries absent from it (for \
example PR, GU, VI, AS, MP, or the countries Plaid does not serve) are rejected; for US territories use country \
US with the territory as region.
- Nullable fields follow the OpenAPI file: null means "not given" for user, name, address, id_number, \
phone_number, is_shareable and the optional address fields, and for steps unless the strategy is custom. The \
docs' request to omit id_number entirely is honoured by the not-accepted rule above.
- The strategy note names the failing step watchlist_screening, as Plaid's newer spec does (the 1.697.4 file says \
screening).
- Formats: phone_number is checked for E.164 shape only (Plaid also checks the number with libphonenumber); \
email_address must be a plain ASCII address (no quoted local part or IP literal) so that every validator agrees; \
postal_code is letters and digits only, so write postcodes without spaces or dashes; the SSN exclusions also \
reject 0000 as us_ssn_last_4, since that is positions 6-9 of an SSN.
- region is checked against the ISO 3166-2 subdivisions of the address's country as {source} lists them \
(schema/data/subdivisions.json). Plaid accepts a subset of ISO 3166-2 (it leaves out codes not typically used in \
addresses, mostly in Italy and Hong Kong) and may lag behind ISO's changes, so a code accepted here can still be \
refused by Plaid. Where the source lists no subdivisions ({shape_only}), only the code's shape is checked."""


def load(name):
    return json.loads((HERE / "data" / name).read_text(encoding="utf-8"))


def nullable(schema, kind):
    """Plaid's `nullable: true`, in 2020-12 terms (ajv's strictTypes accepts a type paired with null)."""
    assert "type" not in schema
    return {"type": [kind, "null"], **schema}


def strategy():
    return {
        "title": "Retry strategy",
        "description": (
            "Which steps the new session asks the user to do again. "
            "reset: start over from the first step, even if the user passed some steps before. "
            "incomplete: start at the step the user failed and skip the steps already passed; Plaid refuses it "
            "when the failing step was watchlist_screening or risk_check. "
            "infer: incomplete when the user's most recent session for this client_user_id is failed or expired, "
            "reset otherwise; Plaid refuses it while that session is still active. "
            "custom: run exactly the steps chosen in steps, which is then required."
        ),
        "type": "string",
        "enum": ["reset", "incomplete", "infer", "custom"],
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


def address(countries):
    def given(field):
        return {"required": [field], "properties": {field: {"type": "string"}}}

    def in_countries(codes):
        # "type" for ajv's strictTypes: this definition is compiled apart from the address's own type.
        return {"type": "object", "required": ["country"], "properties": {"country": {"enum": codes}}}

    def not_accepted(field, codes, what):
        return {
            "if": in_countries(codes),
            "then": {"description": f"Plaid accepts no {what} for these countries: leave the key out.", "properties": {field: False}},
        }

    listed = countries["countries"]
    postal_required = [c for c in listed if c not in countries["postal_code_not_accepted"]]
    region_not_accepted = [c for c in listed if c not in countries["region_required"]]

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
                            "subdivisions (US territories are regions of US: PR, GU, VI, AS, MP, UM). Required in a "
                            f"full address for the {len(countries['region_required'])} countries that use it, and not "
                            "accepted (leave the key out) for every other country."
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
                            "2 to 10 letters or digits, without spaces or dashes; exactly 5 digits for a US address. "
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
                    "description": "The country as its ISO 3166-1 alpha-2 code, upper case; one of the countries Plaid lists input rules for.",
                    "type": "string",
                    "enum": listed,
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
                        "properties": {"postal_code": {"type": "string", "pattern": "^[0-9]{5}$"}},
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

    listed = [(country, parts) for country, parts in subdivisions["regions"].items() if parts]
    return {
        "description": (
            "The address's region is one of its country's ISO 3166-2 subdivisions, without the country prefix "
            f"(source: {subdivisions['source']}). The countries are looked up by halving their sorted list."
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
                    "properties": {"value": {"type": "string", "pattern": t["pattern"]}},
                },
            }
        )
    for kind, excluded, why in [
        ("us_ssn", SSN_EXCLUDED, "Plaid rejects SSNs starting with 9, 666 or 000, or with 00 in positions 4-5 or 0000 in positions 6-9."),
        ("us_ssn_last_4", SSN_LAST4_EXCLUDED, "No SSN has 0000 in positions 6-9, so 0000 is never a valid last four."),
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


def user(countries, types):
    id_types_by_country = {t["country"] for t in types}
    takes_id = set(countries["id_number_required"]) | set(countries["id_number_optional"]) | id_types_by_country
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
                    "description": "A plain email address without surrounding spaces, at most 254 characters.",
                    "type": "string",
                    "format": "email",
                    "maxLength": 254,
                    "pattern": EMAIL,
                    "examples": ["user@example.com"],
                },
                "phone_number": nullable(
                    {
                        "title": "Phone number",
                        "description": "The mobile number in E.164 form: +, the country code, then the number, at most 15 digits in all.",
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
                    "if": {
                        "required": ["address"],
                        "properties": {"address": {"type": "object", "required": ["country"], "properties": {"country": {"enum": id_not_accepted}}}},
                    },
                    "then": {
                        "description": "Plaid accepts no ID number for the address's country: leave id_number out.",
                        "properties": {"id_number": False},
                    },
                }
            ],
        },
        "object",
    )


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
    assert list(subdivisions["regions"]) == countries["region_required"], "run python3 schema/subdivisions.py"
    shape_only = [c for c, parts in subdivisions["regions"].items() if not parts]
    description = DESCRIPTION.format(source=subdivisions["source"], shape_only=", ".join(shape_only))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
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
                "minLength": 1,
                "examples": ["your-db-id-3b24110"],
            },
            "template_id": {
                "title": "Template ID",
                "description": (
                    "The Identity Verification template to run, case-sensitive; usually the earlier session's, or "
                    "another one to step the user up."
                ),
                "type": "string",
                "minLength": 1,
                "examples": ["idvtmp_52xR9LKo77r1Np"],
            },
            "strategy": strategy(),
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
            "address": address(countries),
            "full_address": full_address(),
            "region_of_country": region_of_country(subdivisions),
            "id_number": id_number(types),
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


def render():
    return json.dumps(schema(), indent=2) + "\n"


def main():
    text = render()
    return write_or_check(OUT, text, "generate.py", __doc__)


if __name__ == "__main__":
    sys.exit(main())
