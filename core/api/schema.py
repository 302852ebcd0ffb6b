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


# DRF's CharField refuses NUL characters, and (trimming whitespace) a blank value unless allow_blank.
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def _describe_input(operation: dict, components: dict) -> None:
    """Say what request bodies really accept: no field they do not name (StrictInputSerializer),
    no NUL character in text, and no blank text where a value is required."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        body = _resolve(media.get("schema", {}), components)
        if body.get("type") != "object" or "properties" not in body:
            continue
        body["additionalProperties"] = False
        for field in body["properties"].values():
            if field.get("type") == "string" and not ({"pattern", "format", "enum"} & set(field)):
                field["pattern"] = NOT_BLANK if field.get("minLength", 0) >= 1 else NO_NUL


EMPTY = {"type": "string", "maxLength": 0}


def _allow_empty_filters(operation: dict) -> None:
    """A query filter sent empty (`?customer=`, as an HTML form sends an unused field) means
    "no filter": say so, except where an empty value is refused (multiple choices, page_size,
    and a required parameter, which is no filter)."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") != "query" or parameter.get("name") == "page_size" or schema.get("type") == "array":
            continue
        if parameter.get("required"):
            continue
        if "anyOf" in schema:
            schema["anyOf"].append(EMPTY)
        elif "enum" in schema and schema.get("type") == "string" and "" not in schema["enum"]:
            schema["enum"] = [*schema["enum"], ""]
        elif {"pattern", "format"} & set(schema) and schema.get("type") == "string":
            parameter["schema"] = {"anyOf": [schema, EMPTY]}


def envelope_postprocessing_hook(result, generator, request, public):
    """Wrap 2xx bodies in the success envelope and document the error envelope."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            _describe_input(operation, components)
            _allow_empty_filters(operation)
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
    """Describe our session authentication as it really works: the session cookie, and on
    POST, PUT, PATCH and DELETE also the csrftoken cookie and its value in X-CSRFToken."""

    target_class = "core.api.authentication.SessionAuthentication"
    name = ["sessionAuth", "csrfCookie", "csrfToken"]

    def get_security_requirement(self, auto_schema):
        if auto_schema.method.upper() in ("GET", "HEAD", "OPTIONS"):
            return {"sessionAuth": []}
        return {name: [] for name in self.name}

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "cookie",
                "name": settings.SESSION_COOKIE_NAME,
                "description": "Log in with POST /accounts/api/login/ to get this cookie.",
            },
            {
                "type": "apiKey",
                "in": "cookie",
                "name": settings.CSRF_COOKIE_NAME,
                "description": "Set at login (and by GET /accounts/api/csrf/); needed on unsafe methods.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-CSRFToken",
                "description": "The csrftoken cookie's value, on POST, PUT, PATCH and DELETE.",
            },
        ]
