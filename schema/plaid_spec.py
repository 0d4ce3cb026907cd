#!/usr/bin/env python3
"""Writes schema/data/plaid.json: Plaid's own description of POST /identity_verification/retry
(the request, the 200 body and the error body, every model they reach), read from a pinned copy
of Plaid's newest published client, plaid-python.

    pip install -r schema/requirements.txt   # plaid-python and pycountry, pinned
    python3 schema/plaid_spec.py             # rewrite the table
    python3 schema/plaid_spec.py --check     # exit 1 if the committed table is not what this extracts

plaid-python is generated from Plaid's OpenAPI document and is newer than the last public copy of
that document; its models keep each field's type, nullability, required list, enum values and
description (the generator collapses the description's line breaks into spaces and drops
`format`, `pattern` and `deprecated`). Then run python3 schema/generate.py, which writes the
input and output schemas from this table.
"""

import datetime
import inspect
import json
import re
import sys
from importlib import import_module, metadata
from pathlib import Path

from write_or_check import write_or_check

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "plaid.json"
PACKAGE = "plaid-python"
PINNED = re.search(rf"^{PACKAGE}==(\S+)$", (HERE / "requirements.txt").read_text(), re.M).group(1)
ROOTS = {
    "request": "identity_verification_retry_request.IdentityVerificationRetryRequest",
    "response": "identity_verification_retry_response.IdentityVerificationRetryResponse",
    "error": "plaid_error.PlaidError",
}
# The OpenAPI document writes these fields as `allOf: [an enum, a description]`, which the
# generator turns into "any type" (plaid-python would accept any value there). The enum the
# document names is what Plaid sends; the assertion in `field` notices a release that fixes it.
ANY_TYPE = {
    ("FraudAnalysisDetails", "issue_date_check"): "FraudCheckOutcomeWithNoData",
    **{("FraudAnalysisDetails", f): "FraudCheckOutcome" for f in [
        "type_supported", "portrait_presence_check", "portrait_details_check", "image_composition_check",
        "integrity_check", "detail_check"]},
    **{("ImageQualityDetails", f): "ImageQualityOutcome" for f in ["glare_check", "dimensions_check", "blur_check"]},
}


def model_class(qualified):
    module, name = qualified.rsplit(".", 1)
    return getattr(import_module(f"plaid.model.{module}"), name)


def clean(text):
    """A description as written: the generator's doubled spaces and the second full stop it adds
    after an optional field's description taken out."""
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\.\.$", ".", text)


def docstring_args(cls):
    """The model's `_from_openapi_data` parameters: required names in order, and each field's
    description from its docstring."""
    source = inspect.getsource(sys.modules[cls.__module__])
    signature = re.search(r"def _from_openapi_data\(cls, (.*?)\*args", source)
    required = [a.strip() for a in signature.group(1).split(",") if a.strip()]
    doc = source[signature.start():].split('"""')[1]
    descriptions = {}
    for line in doc.splitlines():
        m = re.match(r"^ {12}(\w+) \((.*?)\):\s?(.*?)(?:\s+# noqa: E501)?$", line)
        if m and not m.group(1).startswith("_"):
            descriptions.setdefault(m.group(1), clean(re.sub(r"\s*\[optional\]$", "", m.group(3))))
    return required, descriptions


def enum_description(cls):
    source = inspect.getsource(sys.modules[cls.__module__])
    m = re.search(r"args\[0\] \(.*?\):\s?(.*?), must be one of \[", source)
    return clean(m.group(1)) if m else ""


def is_model(t):
    from plaid.model_utils import OpenApiModel

    return isinstance(t, type) and issubclass(t, OpenApiModel)


def type_of(t):
    """One entry of a generated type tuple, as JSON: a primitive, a list, or a model's name."""
    from plaid.model_utils import none_type

    primitives = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object",
                  datetime.date: "date", datetime.datetime: "date-time", none_type: "null"}
    if isinstance(t, list):
        # A list of every type is the generator's "any item" (PlaidError.causes).
        return {"array": type_of(t[0]) if len(t) == 1 else "any"}
    if is_model(t):
        return t.__name__
    return primitives[t]


def describe(cls, into):
    from plaid.model_utils import ModelSimple, none_type

    if cls.__name__ in into:
        return
    if issubclass(cls, ModelSimple):
        [values] = cls.allowed_values.values() or [{}]
        into[cls.__name__] = {
            # `None` is how the generator writes `nullable: true` (ProxyType); `nullable` says it.
            "enum": [v for v in values.values() if v is not None],
            "nullable": bool(cls._nullable),
            "description": enum_description(cls),
        }
        if not values:
            # A plain alias (RiskCheckFactors: a list of strings).
            into[cls.__name__] = {"alias": type_of(cls.openapi_types["value"][0]), "description": enum_description(cls)}
        return
    required, descriptions = docstring_args(cls)
    fields = {}
    into[cls.__name__] = None  # placeholder against cycles
    for name, types in cls.openapi_types.items():
        any_type = len(types) > 3
        if any_type:
            enum = ANY_TYPE.get((cls.__name__, name))
            assert enum, f"{cls.__name__}.{name}: any type, and no enum is known for it"
            types = (model_class(f"{re.sub(r'(?<!^)(?=[A-Z])', '_', enum).lower()}.{enum}"),)
        kinds = [type_of(t) for t in types if t is not none_type]
        [kind] = kinds
        fields[cls.attribute_map.get(name, name)] = {
            "type": kind,
            "nullable": none_type in types or any(is_model(t) and t._nullable for t in types),
            "required": name in required,
            "description": descriptions.get(name, ""),
        }
        for t in types:
            for item in t if isinstance(t, list) else [t]:
                if is_model(item):
                    describe(item, into)
    into[cls.__name__] = {"nullable": bool(cls._nullable), "fields": fields}


def table():
    version = metadata.version(PACKAGE)
    if version != PINNED:
        sys.exit(f"{PACKAGE} {version} is installed; this table is made from {PINNED}: pip install -r schema/requirements.txt")
    from plaid.model import strategy

    openapi = re.search(r"The version of the OpenAPI document: (\S+)", inspect.getsource(strategy)).group(1)
    models = {}
    roots = {}
    for key, qualified in ROOTS.items():
        cls = model_class(qualified)
        describe(cls, models)
        roots[key] = cls.__name__
    return {
        "about": (
            "Plaid's description of POST /identity_verification/retry: the request, the 200 body and the error body, "
            "each model they reach with its fields' types, nullability, required flags and descriptions, and each "
            "enum's values. Generated by schema/plaid_spec.py; do not edit by hand."
        ),
        "source": f"{PACKAGE} {version} (PyPI), generated from Plaid's OpenAPI document {openapi}",
        "roots": roots,
        "models": dict(sorted(models.items())),
    }


def render():
    doc = table()
    # One line per field or enum keeps the diff of a source update readable.
    out = ["{"]
    for key in ["about", "source", "roots"]:
        out.append(f"  {json.dumps(key)}: {json.dumps(doc[key])},")
    out.append('  "models": {')
    models = []
    for name, model in doc["models"].items():
        if "fields" in model:
            fields = ",\n".join(f"      {json.dumps(f)}: {json.dumps(v)}" for f, v in model["fields"].items())
            models.append(f'    {json.dumps(name)}: {{"nullable": {json.dumps(model["nullable"])}, "fields": {{\n{fields}\n    }}}}')
        else:
            models.append(f"    {json.dumps(name)}: {json.dumps(model)}")
    out.append(",\n".join(models))
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    text = render()
    assert json.loads(text) == table()
    return write_or_check(OUT, text, "plaid_spec.py", __doc__)


if __name__ == "__main__":
    sys.exit(main())
