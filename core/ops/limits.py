"""Request size limits: refuse an oversized body before anything reads it."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from core.api.exceptions import error_body
from core.api.middleware import is_api_path


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
