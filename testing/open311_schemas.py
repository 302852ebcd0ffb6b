"""Check Open311 answers against the XSD and JSON Schemas written from the spec (open311/schema/)."""

from functools import cache
from pathlib import Path

import jsonschema
import xmlschema

from open311.openapi import SCHEMA_FILE

XSD_DIR = Path(__file__).resolve().parent.parent / "open311" / "schema" / "xsd"
# JSON Schema definition -> the XSD file whose root describes the same document in XML.
XSD_OF = {
    "discovery": "georeport-v2",
    "services": "georeport-v2",
    "service_definition": "georeport-v2",
    "service_requests": "georeport-v2",
    "errors": "georeport-v2",
    "created": "created",
    "token": "token",
    "service_request_updates": "servicerequestupdates",
    "update_created": "update-created",
}


@cache
def _xsd(name: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD_DIR / f"{name}.xsd"))


@cache
def _json_validator(name: str):
    import json

    document = json.loads(SCHEMA_FILE.read_text())
    schema = {**document, "$ref": f"#/$defs/{name}"}
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.check_schema(schema)
    return validator


def assert_valid(response, document: str, fmt: str) -> None:
    """The response is `document` (a definition of the JSON Schemas) in `fmt`, with the spec's content type."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        _json_validator(document).validate(response.json())
    else:
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        _xsd(XSD_OF[document]).validate(response.content.decode("utf-8"))
