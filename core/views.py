"""Project-wide views: CSRF failures and error pages (health checks: core/ops/health.py)."""

import sys
from html import escape

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from core.api.exceptions import error_body
from core.api.middleware import is_api_path
from utility_services.emergency import safety_notice


def csrf_failure(request, reason: str = ""):
    """Explain a CSRF failure: JSON under the API; elsewhere a page with the safety notice (never a dead end)."""
    if is_api_path(request.path):
        return JsonResponse(
            error_body(
                "CSRF verification failed. Send the csrftoken cookie's value in the X-CSRFToken header.",
                {"reason": reason},
            ),
            status=403,
        )
    return render(request, "403_csrf.html", {"notice": safety_notice()}, status=403)


def server_error(request):
    """handler500: a database outage is a 503 with Retry-After; anything else a plain 500.

    Runs for failures outside the API's exception handler (middleware, pages), in JSON
    under the API prefixes. Never shows a traceback or a database message.
    """
    outage = isinstance(sys.exc_info()[1], OperationalError)
    status = 503 if outage else 500
    message = (
        "The service is temporarily unavailable. Please retry shortly."
        if outage
        else "Internal server error. The failure has been logged."
    )
    if is_api_path(request.path):
        response = JsonResponse(error_body(message), status=status)
    else:
        # Rendered without templates or the database, and still with the gas-emergency number.
        phone = escape(settings.EMERGENCY_PHONE_NUMBER)
        response = HttpResponse(
            f"<!DOCTYPE html><html lang=en><title>{status}</title><h1>{message}</h1>"
            f"<p><strong>Smell gas?</strong> Leave the property now and call "
            f'<a href="tel:{phone.replace(" ", "")}">{phone}</a> (24 hours, free).</p></html>',
            status=status,
            content_type="text/html",
        )
    if outage:
        response["Retry-After"] = "5"
    return response
