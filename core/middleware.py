"""Make every error under the API prefixes a JSON envelope, whatever raised it."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from core.exceptions import error_body

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


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies (413) before anything reads them.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not apply to the stream DRF's JSON parser
    reads, so the limit is enforced here, from Content-Length: MAX_REQUEST_BYTES for JSON
    and forms, room for the allowed attachments on top of it for multipart uploads.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        limit = settings.MAX_REQUEST_BYTES
        if request.content_type == "multipart/form-data":
            limit += settings.ATTACHMENT_MAX_BYTES * settings.ATTACHMENT_MAX_PER_REQUEST
        if length < 0 or length > limit:
            status = 400 if length < 0 else 413
            message = (
                "Invalid Content-Length." if length < 0 else f"Request body too large: the limit is {limit} bytes."
            )
            if is_api_path(request.path):
                return JsonResponse(error_body(message), status=status)
            return HttpResponse(message, status=status, content_type="text/plain")
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """Every response to a logged-in user is `Cache-Control: private, no-store`.

    They carry personal data (accounts, requests, portal pages): no shared cache may keep
    them, and no browser may write them to disk. Public answers (the request-type
    catalogue, the home page to a visitor) keep their default caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
