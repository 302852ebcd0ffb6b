"""OpenAPI post-processing: describe the real envelope and error bodies.

Serializers describe only the payload; every JSON response actually leaves as
``{"message", "data"}`` (paginated lists add ``pagination``) and every failure
as ``{"error", "details"}``. This hook rewrites the generated schema to match,
so a contract-testing tool can validate every response against it.
"""

ERROR_COMPONENT = {
    "type": "object",
    "description": "Every failure. `details` maps field names to messages for 400s.",
    "required": ["error", "details"],
    "properties": {
        "error": {"type": "string", "description": "A readable summary of the failure."},
        "details": {"type": "object", "additionalProperties": True},
    },
}

_ERRORS = {
    "400": "Invalid input; `details` names each field and its problem.",
    "401": "Not logged in.",
    "403": "Logged in but not allowed, or the CSRF token is missing or wrong.",
    "404": "No such resource (or not yours).",
    "405": "Method not allowed on this path.",
    "409": "Conflicts with the resource's current state.",
    "415": "The body must be JSON (Content-Type: application/json).",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
    "500": "Unexpected server failure (logged; no internals are returned).",
    "503": "The database is unavailable; retry after Retry-After seconds.",
}


def _is_enveloped(schema: dict) -> bool:
    return "message" in schema.get("properties", {})


def _wrap(schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["message", "data"],
        "properties": {"message": {"type": "string"}, "data": schema},
    }


def envelope_postprocessing_hook(result, generator, request, public):
    """Wrap 2xx bodies in the success envelope and document the error envelope."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    error_ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                json_body = response.get("content", {}).get("application/json")
                if code.startswith("2") and json_body and not _is_enveloped(json_body["schema"]):
                    json_body["schema"] = _wrap(json_body["schema"])
            for code, description in _ERRORS.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": error_ref}}},
                )
    return result
