"""OpenAPI post-processing: describe the real envelope and error bodies.

Serializers describe only the payload; every JSON response actually leaves as
``{"message", "data"}`` (paginated lists add ``pagination``) and every failure
as ``{"error", "details"}``. This hook rewrites the generated schema to match,
so a contract-testing tool can validate every response against it.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

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


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], schema) if ref else schema


def _is_enveloped(schema: dict, components: dict) -> bool:
    return "message" in _resolve(schema, components).get("properties", {})


def _wrap(schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["message", "data"],
        "properties": {"message": {"type": "string"}, "data": schema},
    }


def envelope_postprocessing_hook(result, generator, request, public):
    """Wrap 2xx bodies in the success envelope and document the error envelope."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_COMPONENT
    error_ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if not code.startswith("2"):
                    continue
                content = response.setdefault("content", {})
                if not content:
                    # A success with nothing to return still sends {"message": ..., "data": null}.
                    content["application/json"] = {"schema": _wrap({"type": "object", "nullable": True})}
                json_body = content.get("application/json")
                if json_body and not _is_enveloped(json_body["schema"], components):
                    json_body["schema"] = _wrap(json_body["schema"])
            for code, description in _ERRORS.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": error_ref}}},
                )
    return result


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe our session authentication: the session cookie, plus X-CSRFToken on unsafe methods."""

    target_class = "core.authentication.SessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "Log in with POST /accounts/api/login/; send the csrftoken cookie's value "
            "in the X-CSRFToken header on POST, PUT, PATCH and DELETE.",
        }
