"""Helpers for the service-request tests: the API's URLs, a record's state, the filters the lists refuse."""

from utility_services.models import ServiceRequest

TRACK = "/api/track/"
QUEUE = "/api/admin/requests/"


def track_url(request_id: int, action: str = "") -> str:
    return f"{TRACK}{request_id}/{action + '/' if action else ''}"


def staff_url(request_id: int, action: str = "") -> str:
    return f"{QUEUE}{request_id}/{action + '/' if action else ''}"


def snapshot(service_request: ServiceRequest) -> dict:
    """Everything a forbidden action must leave alone, read fresh from the database."""
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    return {
        "status": stored.status,
        "priority": stored.priority,
        "assignee": stored.assignee_id,
        "resolved_at": stored.resolved_at,
        "closed_at": stored.closed_at,
        "cancelled_at": stored.cancelled_at,
        "updated_at": stored.updated_at,
        "events": list(stored.events.values_list("id", flat=True)),
    }


# Query strings every list (API and pages) refuses, and the field each names.
INVALID_FILTERS = [
    ({"status": "Bogus"}, "status"),
    ({"status": ["Pending", "Bogus"]}, "status"),
    ({"type_of_request": "Free Gas"}, "type_of_request"),
    ({"priority": "Urgent"}, "priority"),
    ({"priority": "emergency"}, "priority"),
    ({"assignee": "abc"}, "assignee"),
    ({"assignee": "-1"}, "assignee"),
    ({"overdue": "maybe"}, "overdue"),
    ({"overdue": "1"}, "overdue"),
    ({"submitted_after": "notadate"}, "submitted_after"),
    ({"submitted_before": "2024-13-45T00:00:00Z"}, "submitted_before"),
    ({"search": "x" * 101}, "search"),
    ({"ordering": "bogus"}, "ordering"),
    ({"ordering": "details"}, "ordering"),
]
