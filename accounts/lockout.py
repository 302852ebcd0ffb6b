"""What a locked-out login sees (django-axes calls this): JSON under the API, a page elsewhere."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from core.exceptions import error_body
from core.middleware import is_api_path

LOCKED_MESSAGE = (
    "Too many failed login attempts. Logging in is blocked for {minutes} minutes for this account "
    "and this address. Try again later or reset your password; an administrator can unlock it."
)


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None):
    message = LOCKED_MESSAGE.format(minutes=lockout_minutes())
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if is_api_path(request.path):
        response = JsonResponse(error_body(message), status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = retry_after
    return response
