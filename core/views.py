"""Project-wide views: CSRF failures and error pages."""

from django.http import JsonResponse
from django.views import csrf

from core.exceptions import error_body
from core.middleware import is_api_path


def csrf_failure(request, reason: str = ""):
    """Explain a CSRF failure: JSON under the API, Django's page elsewhere."""
    if is_api_path(request.path):
        return JsonResponse(
            error_body(
                "CSRF verification failed. Send the csrftoken cookie's value in the X-CSRFToken header.",
                {"reason": reason},
            ),
            status=403,
        )
    return csrf.csrf_failure(request, reason=reason)
