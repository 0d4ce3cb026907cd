"""Every input rule, with its source and class: the data docs/input-rules.md is written from
(schema/generate.py writes it beside the schema). tests/input_rules.rs reads the table back and
holds the plugin's reports on the whole case table to it: each error and warning reported must be
a row of its class, and each row must be reported by some case.

A row: the fields (JSON pointers as reports give them; `*` is any one segment, a lone `*` any
field), the rules as reports name them, the class (error or warning), what checks it (the schema,
a warning schema in $defs/warnings, or the plugin's own code), the source, and what it says.
"""

SOURCES = [
    ("PY46", "plaid-python 46.0.0's models (PyPI), generated from Plaid's OpenAPI document 2020-09-14_1.778.0: the field's type, nullability, required flag and description (schema/data/plaid.json)"),
    ("OAS", "Plaid's OpenAPI document (plaid/plaid-openapi, 2020-09-14_1.697.4; unchanged in the newer npm client): what plaid-python drops, object descriptions and `format`"),
    ("IVR", "Plaid docs, Input validation rules: https://plaid.com/docs/identity-verification/hybrid-input-validation/ (the ID-number patterns and the per-country table)"),
    ("IDV", "Plaid docs, Identity Verification overview: https://plaid.com/docs/identity-verification/ (supported countries)"),
    ("IRQ", "Plaid docs, INVALID_REQUEST errors: https://plaid.com/docs/errors/invalid-request/"),
    ("IIN", "Plaid docs, INVALID_INPUT and USER_ERROR errors: https://plaid.com/docs/errors/invalid-input/ (INVALID_USER_IDENTITY_DATA)"),
    ("ISO", "ISO 3166-1 and 3166-2 as pycountry (pinned) ships them, withdrawn codes from CLDR (cldr-core, pinned) and ISO's change notices (schema/data/subdivisions.json)"),
    ("RFC", "RFC 3696 (cited by Plaid for email), RFC 3339 §5.6 (cited for dates)"),
]

E, W = "error", "warning"
SCHEMA, WARNING_SCHEMA, PLUGIN = "schema", "$defs/warnings", "plugin"

ROWS = [
    # The body.
    ("(the body)", "json_syntax", E, PLUGIN, "IRQ", "INVALID_BODY: the body must be JSON."),
    ("(the body)", "max_size", E, PLUGIN, "plugin", "At most 1 MiB, the plugin's own cap (a retry body is a few hundred bytes)."),
    ("(the body)", "type", E, SCHEMA, "PY46", "IdentityVerificationRetryRequest: a JSON object."),
    ("*", "unknown_field", E, SCHEMA, "IRQ",
     "UNKNOWN_FIELDS: \"The request body included one or more extraneous fields.\" The OpenAPI document's "
     "additionalProperties: true on user, user.address and user.id_number is its generator's default on every "
     "model, not a statement that Plaid takes more; and an unknown key under user would carry personal data the "
     "echo does not know to mask."),
    ("/client_user_id, /template_id, /strategy", "required, type", E, SCHEMA, "PY46", "Required strings."),
    ("/client_user_id, /template_id", "empty", W, WARNING_SCHEMA, "PY46",
     "Plaid documents them as required, not as non-empty: an empty one is inferred to fail, and sent."),
    ("/strategy", "enum", E, SCHEMA, "PY46", "Strategy: reset, incomplete, infer or custom."),
    ("/steps", "required", E, SCHEMA, "OAS",
     "IdentityVerificationRetryRequestStepsObject: \"must be provided when the retry strategy is custom\"."),
    ("/steps", "forbidden", E, SCHEMA, "OAS", "\"… and must be omitted otherwise\" (null is not given, and left out)."),
    ("/steps, /steps/*", "type", E, SCHEMA, "PY46", "A nullable object of four booleans."),
    ("/steps/*", "required", E, SCHEMA, "PY46", "verify_sms, kyc_check, documentary_verification and selfie_check are each required."),
    ("/steps/selfie_check", "sandbox_ignored", W, PLUGIN, "OAS", "\"Sandbox requests will silently disable the selfie_check step when provided.\""),
    ("/is_shareable", "type", E, SCHEMA, "PY46", "A nullable boolean."),
    ("/client_id, /secret", "type", E, SCHEMA, "PY46", "Strings."),
    ("/client_id, /secret", "min_length", E, SCHEMA, "plugin", "A credential is never empty: the plugin's own rule for credentials, as in its settings."),
    ("/client_user_id", "personal_data", W, PLUGIN, "PY46", "\"Personally identifiable information, such as an email address or phone number, should not be used in the client_user_id.\""),
    ("/template_id", "unusual_id", W, PLUGIN, "plugin", "Inferred: Plaid's template IDs start with idvtmp_."),
    # The user.
    ("/user, /user/name, /user/address, /user/id_number", "type", E, SCHEMA, "PY46", "Nullable objects."),
    ("/user/email_address", "type", E, SCHEMA, "PY46", "A string, not nullable."),
    ("/user/email_address", "max_length, format", E, SCHEMA, "PY46, RFC",
     "\"Must not have leading or trailing spaces and address must be RFC compliant\": no whitespace outside a quoted "
     "local part, one @, a local part of at most 64 characters and 254 in all (RFC 3696 §3 and its erratum)."),
    ("/user/email_address", "email_format", W, WARNING_SCHEMA, "OAS, RFC",
     "The OpenAPI document says format: email (RFC 5321, ASCII); RFC 3696, which Plaid cites, also allows quoted local "
     "parts and IP literals; internationalised domains: Plaid's documents are silent. Sent as given."),
    ("/user/phone_number", "type", E, SCHEMA, "PY46", "A nullable string."),
    ("/user/phone_number", "format", E, SCHEMA, "PY46", "\"A valid phone number in E.164 format\": +, then 2 to 15 digits."),
    ("/user/phone_number", "phone_invalid", E, PLUGIN, "IIN",
     "INVALID_USER_IDENTITY_DATA: \"Plaid phone number validation checks not only for the correct number of digits, "
     "but also for a valid area code, prefix, etc., even in the Sandbox\"; checked with libphonenumber (the "
     "phonenumber crate), as Plaid says it checks."),
    ("/user/date_of_birth", "type", E, SCHEMA, "PY46", "A string, not nullable."),
    ("/user/date_of_birth", "format", E, SCHEMA, "PY46, RFC", "\"A date in the format YYYY-MM-DD (RFC 3339 Section 5.6)\": a real calendar date."),
    ("/user/name/given_name, /user/name/family_name", "required, type", E, SCHEMA, "PY46", "Both required when a name is given."),
    ("/user/name/given_name, /user/name/family_name", "pattern, max_length", E, SCHEMA, "PY46",
     "\"A string with at least one non-whitespace character, with a max length of 100 characters.\""),
    # The address.
    ("/user/address/country", "required, type", E, SCHEMA, "PY46", "Required when an address is given."),
    ("/user/address/country", "enum", E, SCHEMA, "PY46, IDV",
     "\"Valid, capitalized, two-letter ISO code … ISO 3166-1 alpha-2\" (XK as Plaid's table writes Kosovo), except the six "
     "countries Identity Verification does not serve (CD, CU, IR, KP, LY, SY)."),
    ("/user/address/country", "unlisted_country", W, WARNING_SCHEMA, "IVR",
     "The per-country table has no row for it (PR, GU, VI, AS, MP among them): undocumented, so sent."),
    ("/user/address/street, /user/address/city", "required", E, SCHEMA, "OAS, PY46, IIN",
     "\"Supported values are: not provided, address with only country code or full address\"; street \"will always be "
     "filled\"; \"Incomplete address data\" is an INVALID_USER_IDENTITY_DATA cause."),
    ("/user/address/street, /user/address/street2, /user/address/city, /user/address/region, /user/address/postal_code",
     "type", E, SCHEMA, "PY46", "Nullable strings."),
    ("/user/address/street, /user/address/city", "pattern, max_length", E, SCHEMA, "PY46",
     "\"At least one non-whitespace alphabetical character\", at most 80 (street) or 100 (city) characters."),
    ("/user/address/street2", "pattern, max_length", E, SCHEMA, "PY46", "\"At least one non-whitespace character, with a max length of 50 characters.\""),
    ("/user/address/region, /user/address/postal_code", "required", E, SCHEMA, "IVR",
     "\"Required - If address is provided as part of the request, this field must always be present\" (in a full address)."),
    ("/user/address/region, /user/address/postal_code", "not_accepted", E, SCHEMA, "IVR, ISO",
     "\"Not Accepted … this field must be omitted\" (null is not given, and left out); a country with no ISO 3166-2 "
     "subdivisions that the table leaves out takes no region either (\"a subset of ISO 3166-2 codes\")."),
    ("/user/address/region", "pattern", E, SCHEMA, "PY46, ISO",
     "\"Country prefixes are omitted\": the part of an ISO 3166-2 code after the hyphen, 1 to 3 upper-case letters or digits."),
    ("/user/address/region", "enum", E, SCHEMA, "IVR, ISO",
     "\"A subset of ISO 3166-2 codes\": a code in no ISO 3166-2 list of the country, current or withdrawn, is refused."),
    ("/user/address/region", "withdrawn_region", W, WARNING_SCHEMA, "ISO",
     "A withdrawn code (India's 2023 change, China's numeric codes, New Zealand's islands): Plaid's own list may predate the change, so it is sent."),
    ("/user/address/postal_code", "pattern", E, SCHEMA, "PY46",
     "\"Between 2 and 10 alphanumeric characters. For US-based addresses this must be 5 numeric digits.\" Spaces and "
     "dashes are not alphanumeric: the message names normalize_input, which removes them."),
    # The ID number.
    ("/user/id_number", "not_accepted", E, SCHEMA, "IVR", "\"Not Accepted … the id_number field should always be omitted\" for the address's country."),
    ("/user/id_number", "id_number_conflict", W, WARNING_SCHEMA, "IVR",
     "EG, JO, KW, OM, RO, SA: the country table says Not Accepted, the ID-number table documents a type for the country. Sent."),
    ("/user/id_number/type, /user/id_number/value", "required, type", E, SCHEMA, "PY46", "Both required strings when an id_number is given."),
    ("/user/id_number/type", "enum", E, SCHEMA, "PY46", "IDNumberType: 36 types."),
    ("/user/id_number/type", "country_mismatch", W, PLUGIN, "plugin", "Inferred: the ID type belongs to another country than the address."),
    ("/user/id_number/value", "pattern", E, SCHEMA, "IVR",
     "\"The exact regular expressions we use\", per type, after \"stripped of any formatting characters like spaces, "
     "periods, and dashes\" (normalize_input strips them)."),
    ("/user/id_number/value", "ssn_excluded", E, SCHEMA, "IVR",
     "us_ssn: \"SSNs that meet any of the following conditions will not be accepted\" (9, 666 or 000 first; 00 in positions 4-5; 0000 in 6-9)."),
    ("/user/id_number/value", "ssn_last_4_excluded", W, WARNING_SCHEMA, "IVR",
     "Inferred for us_ssn_last_4: no SSN has 0000 in positions 6-9, but Plaid states the rule for whole SSNs only."),
    ("/user/id_number/value", "ungrouped_pattern", W, WARNING_SCHEMA, "IVR",
     "cn_resident_card: the page's pattern is an ungrouped alternation (any text starting with 15 digits, or ending with "
     "17 digits then a digit or X); that is the error rule, and its evident intent is a warning."),
    # What execute rewrites.
    ("/user/address/postal_code, /user/address/country, /user/address/region, /user/id_number/value", "normalized", W, PLUGIN, "PY46, IVR",
     "With normalize_input on, execute rewrites what Plaid documents as formatting (spaces and dashes out of postal "
     "codes and ID numbers, upper-case country and region, a region's CC- prefix) and says which field it rewrote."),
]


def render(source):
    out = [
        "# Input rules",
        "",
        "<!-- Generated by schema/generate.py from schema/rules.py; do not edit by hand. -->",
        "",
        "Every rule the plugin applies to a task input, with its source and its class. A refusal Plaid documents is an "
        "**error**: the input is not sent. A rule Plaid's documents contradict, or one only inferred, is a **warning**: "
        "the value is sent and the report says why it may fail. *Checked by*: `schema` is an assertion of "
        "`schema/input.schema.json`, which any JSON Schema 2020-12 validator applies; `$defs/warnings` is a warning "
        "schema there, named by the rule, which validators do not apply on their own (the plugin does, and a form can "
        "show its description as a hint); `plugin` is the plugin's own code. *Rule* is the `rule` of the report's "
        "issue, at the field's JSON pointer.",
        "",
        f"Plaid's description is read from {source}.",
        "",
        "Sources:",
        "",
    ]
    out += [f"- **{key}**: {text}" for key, text in SOURCES]
    out += ["", "| Field | Rule | Class | Checked by | Source | What |", "| --- | --- | --- | --- | --- | --- |"]
    for fields, rule, kind, by, source, what in ROWS:
        cells = [f"`{fields}`" if fields != "(the body)" else fields, rule, kind, f"`{by}`", source, what]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"
