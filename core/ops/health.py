"""Health checks for the load balancer and the orchestrator: /healthz (liveness), /readyz (readiness)."""

from django.db import DatabaseError, connection
from django.http import JsonResponse

from core.api.exceptions import error_body


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
