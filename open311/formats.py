"""Render Open311 documents as XML or JSON, one from the other (the spec's "Spark convention").

A document is a root name and plain data. In JSON the root name disappears: a list
becomes an array, a dict an object. In XML every list becomes an element named after
the key holding it, with one child per item named after the singular (`services` →
`service`, `service_requests` → `request`). None is an empty element in XML and null
in JSON; booleans are `true`/`false`; ids are strings in both.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def w3c_datetime(moment: datetime | None) -> str | None:
    """A W3C/ISO 8601 datetime with its UTC offset, e.g. 2026-05-01T09:30:00+01:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        # xs:decimal has no exponent: 1e-05 is written 0.00001.
        return f"{value:.10f}".rstrip("0").rstrip(".") if "e" in text else text
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, data) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _fill(ET.SubElement(element, key), value)
    elif isinstance(data, list):
        singular = SINGULAR[element.tag]
        for item in data:
            _fill(ET.SubElement(element, singular), item)
    elif data is not None:
        element.text = _text(data)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    ET.indent(element)
    body = ET.tostring(element, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8", "replace")


def to_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8", "replace")


def render(root: str, data, fmt: str, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """One Open311 document in `fmt` ("xml" or "json")."""
    body = to_json(data) if fmt == "json" else to_xml(root, data)
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES["json" if fmt == "json" else "xml"])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def render_errors(errors: list[tuple[int, str]], fmt: str, *, status: int, headers: dict | None = None):
    """The spec's error list: [{code, description}], XML `errors` → `error`."""
    data = [{"code": code, "description": description} for code, description in errors]
    return render("errors", data, fmt, status=status, headers=headers)
