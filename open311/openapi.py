"""An OpenAPI 3.1 description of the Open311 JSON routes, served at /open311/v2/openapi.json.

The response schemas are the JSON Schemas written from the spec (schema/georeport-v2.schema.json),
so a contract fuzzer (schemathesis) checks every answer against the same definitions as the tests.
It is separate from /api/schema/ on purpose: that one describes our own API's envelope, which
Open311 does not use.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.http import JsonResponse

SCHEMA_FILE = Path(__file__).parent / "schema" / "georeport-v2.schema.json"
BASE = "/open311/v2"
IDENTIFIER = {"type": "string", "pattern": "^[-A-Za-z0-9_]{1,64}$"}
W3C = "W3C datetime with a time zone, e.g. 2026-05-01T09:30:00Z"


@cache
def json_schemas() -> dict:
    """The spec's documents as JSON Schemas ({name: schema}, refs as in the file)."""
    return json.loads(SCHEMA_FILE.read_text())["$defs"]


def _components(value):
    if isinstance(value, dict):
        return {
            key: (item.replace("#/$defs/", "#/components/schemas/") if key == "$ref" else _components(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_components(item) for item in value]
    return value


def _json(name: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": IDENTIFIER}


def _responses(ok: dict, *codes: int) -> dict:
    meanings = {
        400: "Invalid input (several errors may be listed).",
        403: "Missing, unknown or revoked api_key.",
        404: "No such service, request, token or jurisdiction.",
        405: "Method not allowed on this route.",
        429: "Over the rate limit; see Retry-After.",
    }
    responses = {"200": ok}
    for code in (*codes, 405, 429):
        responses[str(code)] = _json("errors", meanings[code])
    return responses


EMPTY = {"type": "string", "maxLength": 0}


def _optional(schema: dict) -> dict:
    """As the spec says of optional arguments: an empty value is the same as none."""
    return {"anyOf": [schema, EMPTY]}


DATE_TIME = {"type": "string", "format": "date-time"}
NUMBER_LAT = {"type": "number", "minimum": -90, "maximum": 90}
NUMBER_LONG = {"type": "number", "minimum": -180, "maximum": 180}
NON_BLANK = {"type": "string", "pattern": "\\S"}
JURISDICTION = _query("jurisdiction_id", "Only needed where the endpoint serves several jurisdictions.")
WINDOW = [
    _query(
        "start_date",
        f"Earliest requested time ({W3C}). Span at most 90 days; default the last 90 days.",
        _optional(DATE_TIME),
    ),
    _query("end_date", f"Latest requested time ({W3C}).", _optional(DATE_TIME)),
]
CODES = {"type": "string", "description": "Unknown codes match nothing."}
STATUSES = _optional({"type": "string", "enum": ["open", "closed", "open,closed", "closed,open"]})
IDS = {"type": "string", "pattern": "^[^,]*(,[^,]*){0,999}$", "description": "At most 1000 ids."}
PAGING = [
    _query("page", "Page number, from 1.", _optional({"type": "integer", "minimum": 1, "maximum": 1000000})),
    _query(
        "page_size",
        "Items per page (default and maximum 1000).",
        _optional({"type": "integer", "minimum": 1, "maximum": 1000}),
    ),
]


def _form(properties: dict, required: list[str], **rules) -> dict:
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    # attribute[code]=value and attribute[code][]=value answer the service's questions.
                    "additionalProperties": {"type": "string"},
                    **rules,
                }
            }
        },
    }


def _text(max_length: int, description: str = "") -> dict:
    schema = {"type": "string", "maxLength": max_length}
    return schema | ({"description": description} if description else {})


def _paired(one: str, other: str, other_schema: dict) -> dict:
    """When `one` has a value, `other` must have one too."""
    return {"anyOf": [{"properties": {one: EMPTY}}, {"required": [other], "properties": {other: other_schema}}]}


def document() -> dict:
    post_request = _form(
        {
            "api_key": _text(200, "The application's API key."),
            "service_code": IDENTIFIER,
            "lat": _optional(NUMBER_LAT),
            "long": _optional(NUMBER_LONG),
            "address_string": _text(300),
            "address_id": _text(100),
            "email": _optional(
                {"type": "string", "pattern": "^[a-z0-9._-]{1,40}@[a-z0-9-]{1,40}(\\.[a-z]{2,10}){1,3}$"}
            ),
            "device_id": _text(100),
            "account_id": _text(100),
            "first_name": _text(70),
            "last_name": _text(70),
            "phone": _optional(
                {
                    "type": "string",
                    "pattern": "^\\+?[0-9]{7,15}$",
                    "description": "7 to 15 digits, optionally after +; spaces, dots, dashes and brackets are fine.",
                }
            ),
            "description": _text(4000),
            "media_url": _optional(
                {
                    "type": "string",
                    "pattern": "^https?://[a-z0-9-]{1,60}(\\.[a-z0-9-]{1,60}){1,4}(/[A-Za-z0-9._~-]{0,60}){0,5}$",
                }
            ),
            "jurisdiction_id": _text(100),
        },
        ["api_key", "service_code"],
        # A location: lat and long together, or address_string, or address_id.
        anyOf=[
            {"required": ["lat", "long"], "properties": {"lat": NUMBER_LAT, "long": NUMBER_LONG}},
            {"required": ["address_string"], "properties": {"address_string": NON_BLANK}},
            {"required": ["address_id"], "properties": {"address_id": NON_BLANK}},
        ],
        dependentSchemas={"lat": _paired("lat", "long", NUMBER_LONG), "long": _paired("long", "lat", NUMBER_LAT)},
    )
    post_update = _form(
        {
            "api_key": _text(200),
            "service_request_id": IDENTIFIER,
            "update_id": _text(100) | NON_BLANK,
            "status": {"type": "string", "enum": ["OPEN", "CLOSED", "FIXED", "IN_PROGRESS", "REOPEN", "UNCHANGED"]},
            "updated_datetime": DATE_TIME,
            "description": _text(4000),
            "first_name": _text(70),
            "last_name": _text(70),
            "email": _text(254),
            "jurisdiction_id": _text(100),
        },
        ["api_key", "service_request_id", "update_id", "status", "updated_datetime", "description"],
    )
    paths = {
        f"{BASE}/discovery.json": {
            "get": {
                "summary": "Service discovery",
                "parameters": [],
                "responses": _responses(_json("discovery", "Discovery")),
            }
        },
        f"{BASE}/services.json": {
            "get": {
                "summary": "The service list",
                "parameters": [JURISDICTION],
                "responses": _responses(_json("services", "Services"), 404),
            }
        },
        f"{BASE}/services/{{service_code}}.json": {
            "get": {
                "summary": "A service definition (its questions)",
                "parameters": [_path("service_code", "A service_code from the service list."), JURISDICTION],
                "responses": _responses(_json("service_definition", "The definition"), 404),
            }
        },
        f"{BASE}/requests.json": {
            "get": {
                "summary": "Search requests",
                "parameters": [
                    _query("service_request_id", "Comma-separated ids; overrides every other argument.", IDS),
                    _query("service_code", "Comma-separated service codes.", CODES),
                    *WINDOW,
                    _query("status", "open, closed, or both comma-separated.", STATUSES),
                    *PAGING,
                    JURISDICTION,
                ],
                "responses": _responses(_json("service_requests", "Requests, newest first"), 400, 404),
            },
            "post": {
                "summary": "Create a request (needs api_key and a location: lat+long, address_string or address_id)",
                "requestBody": post_request,
                "responses": _responses(_json("created", "The new request's id (or token)"), 400, 403, 404),
            },
        },
        f"{BASE}/requests/{{service_request_id}}.json": {
            "get": {
                "summary": "One request (a one-element list)",
                "parameters": [_path("service_request_id", "The request's id, e.g. SR-7K3M-9Q2X."), JURISDICTION],
                "responses": _responses(_json("service_requests", "The request"), 404),
            }
        },
        f"{BASE}/tokens/{{token}}.json": {
            "get": {
                "summary": "The request id of a token",
                "parameters": [_path("token", "A token from POST requests."), JURISDICTION],
                "responses": _responses(_json("token", "The token's request"), 404),
            }
        },
        f"{BASE}/servicerequestupdates.json": {
            "get": {
                "summary": "Public updates of requests (mySociety's extension)",
                "parameters": [*WINDOW, *PAGING, JURISDICTION],
                "responses": _responses(_json("service_request_updates", "Updates, oldest first"), 400, 404),
            },
            "post": {
                "summary": "Send an update on a request this application submitted (mySociety's extension)",
                "requestBody": post_update,
                "responses": _responses(_json("update_created", "The update's id"), 400, 403, 404),
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gas Utility Service: Open311 GeoReport v2 (JSON)",
            "version": "2",
            "description": "The JSON half of /open311/v2/ (every route also answers in XML with .xml).",
        },
        "paths": paths,
        "components": {"schemas": _components(json_schemas())},
    }


def openapi_view(request):
    """Serve the OpenAPI document of the Open311 JSON routes."""
    return JsonResponse(document(), json_dumps_params={"indent": 2})
