"""Project-wide views: CSRF failures, error pages and health checks."""

import sys

from django.db import DatabaseError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
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


def healthz(request):
    """Liveness: the process answers. Touches no database."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database answers a query (503 with Retry-After if not)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse(error_body("The database is unavailable."), status=503)
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"status": "ready"})


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
        response = HttpResponse(
            f"<!DOCTYPE html><title>{status}</title><h1>{message}</h1>", status=status, content_type="text/html"
        )
    if outage:
        response["Retry-After"] = "5"
    return response
