"""OpenAPI post-processing for service requests: the schema states what the catalogue and the
upload checks accept, so a client generated from it is not refused for what it could not know."""

from django.conf import settings
from django.db import DatabaseError

from .models import Attachment, RequestType


def _components(result) -> dict:
    return result.get("components", {}).get("schemas", {})


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], schema) if ref else schema


def catalogue_postprocessing_hook(result, generator, request, public):
    """`type_of_request` lists the catalogue's names (active ones where a new choice is made), and
    uploads say which file types and how many files are accepted."""
    try:
        active = list(
            RequestType.objects.filter(is_active=True).order_by("sort_order", "name").values_list("name", flat=True)
        )
        every = list(RequestType.objects.order_by("sort_order", "name").values_list("name", flat=True))
    except (DatabaseError, RuntimeError):
        # No database to read (a schema built offline, or by a test without database access):
        # the names are left undescribed rather than failing the whole schema.
        active = every = []
    components = _components(result)
    accepted_files = ", ".join(Attachment.ContentType.values)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "type_of_request" and every:
                    parameter["schema"] = {"type": "string", "enum": every}
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                body = _resolve(media.get("schema", {}), components)
                properties = body.get("properties", {})
                if "type_of_request" in properties and active:
                    properties["type_of_request"] = {
                        **{key: value for key, value in properties["type_of_request"].items() if key != "pattern"},
                        "enum": active,
                    }
                if media_type == "multipart/form-data" and "files" in properties:
                    properties["files"]["maxItems"] = settings.ATTACHMENT_MAX_PER_REQUEST
                    media["encoding"] = {"files": {"contentType": accepted_files}}
    return result
