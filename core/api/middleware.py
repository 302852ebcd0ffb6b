"""Make every error under the API prefixes a JSON envelope, whatever raised it."""

from django.conf import settings
from django.http import JsonResponse

from core.api.exceptions import error_body

_MESSAGES = {
    400: "Bad request.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Too many requests.",
    500: "Internal server error. The failure has been logged.",
    503: "The service is temporarily unavailable. Please retry shortly.",
}
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def is_api_path(path: str) -> bool:
    return path.startswith(settings.API_PATH_PREFIXES)


class ApiErrorEnvelopeMiddleware:
    """Replace non-JSON error pages (Django's 404/500, even in DEBUG) under the API with JSON.

    DRF views already answer in the envelope; this catches what never reaches
    them: unknown URLs, Django's own error and debug pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and is_api_path(request.path)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            replacement = JsonResponse(error_body(_MESSAGES.get(status, response.reason_phrase)), status=status)
            for header in _KEPT_HEADERS:
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response
