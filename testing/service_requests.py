"""Helpers for the service-request tests: the API's URLs, a record's state, the filters the lists refuse."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from testing.assertions import success_data
from utility_services.models import ServiceRequest

TRACK = "/api/track/"
QUEUE = "/api/admin/requests/"
SUBMIT = "/api/submit/"
REFERENCE = re.compile(r"^SR-[A-Z0-9]{4}-[A-Z0-9]{4}$")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OPEN = ["Pending", "In Progress", "On Hold"]
STATUSES = [*OPEN, "Resolved", "Closed", "Cancelled"]
# What each customer action needs to succeed for the owner: a status to start from and a body.
CUSTOMER_ACTIONS = {
    "cancel": ("Pending", {"reason": "Sorted it myself"}),
    "reopen": ("Resolved", {"reason": "Still smells"}),
    "comments": ("Pending", {"body": "The meter is in the garage"}),
}


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
    # Control characters count as whitespace to str.strip(): trimmed, they became no filter (fuzz, seed 153205824).
    ({"assignee": "\x1f"}, "assignee"),
    ({"customer": "\x1f"}, "customer"),
    ({"customer": " 12"}, "customer"),
    ({"overdue": "maybe"}, "overdue"),
    ({"overdue": "1"}, "overdue"),
    ({"submitted_after": "notadate"}, "submitted_after"),
    ({"submitted_before": "2024-13-45T00:00:00Z"}, "submitted_before"),
    ({"search": "x" * 101}, "search"),
    ({"ordering": "bogus"}, "ordering"),
    ({"ordering": "details"}, "ordering"),
]


def submit(client, type_of_request: str = "Maintenance", details: str = "Meter is ticking", status: int = 201):
    return success_data(client.post(SUBMIT, {"type_of_request": type_of_request, "details": details}), status)


def upload(client, url: str, name: str = "meter.png", content: bytes = PNG):
    """POST one file as multipart, with the CSRF token, as a browser form would."""
    return client.client.post(
        url, {"files": [SimpleUploadedFile(name, content)]}, headers={"X-CSRFToken": client.csrf_token}
    )


def timeline_rows(timeline: list[dict], *, with_internal: bool) -> list[tuple]:
    keys = ["kind", "actor", "field", "old_value", "new_value", "body"] + (["is_internal"] if with_internal else [])
    return [tuple(event[key] for key in keys) for event in timeline]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]
