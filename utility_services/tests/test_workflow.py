"""The service-request workflow, driven through PATCH /api/admin/requests/<id>/.

The expected map is written out here, not imported from `workflow.py`, so a change
to the workflow has to be a deliberate change to this test as well.
"""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from testing.factories import ServiceRequestFactory, request_in
from utility_services import workflow
from utility_services.models import ServiceRequest, ServiceRequestStatus

pytestmark = pytest.mark.django_db

STATUSES = ["Pending", "In Progress", "On Hold", "Resolved", "Closed", "Cancelled"]
ALLOWED = {
    "Pending": ["In Progress", "On Hold", "Resolved", "Cancelled"],
    "In Progress": ["Pending", "On Hold", "Resolved", "Cancelled"],
    "On Hold": ["Pending", "In Progress", "Resolved", "Cancelled"],
    "Resolved": ["Pending", "In Progress", "Closed"],
    "Closed": [],
    "Cancelled": [],
}
ALLOWED_PAIRS = [(current, new) for current in STATUSES for new in ALLOWED[current]]
FORBIDDEN_PAIRS = [
    (current, new) for current in STATUSES for new in STATUSES if new != current and new not in ALLOWED[current]
]


def move(client, service_request: ServiceRequest, status: str):
    return client.patch(f"/api/admin/requests/{service_request.pk}/", {"status": status})


def parsed(value):
    return parse_datetime(value) if value is not None else None


def test_the_written_map_is_the_workflow_and_names_every_status():
    # The map above is the expectation; the workflow's own table must say the same, status by status.
    assert STATUSES == [status.value for status in ServiceRequestStatus]
    assert {current: set(ALLOWED[current]) for current in STATUSES} == {
        current: {new.value for new in workflow.TRANSITIONS[current]} for current in STATUSES
    }


@pytest.mark.parametrize(("current", "new"), ALLOWED_PAIRS, ids=[f"{c}->{n}" for c, n in ALLOWED_PAIRS])
def test_every_allowed_transition_succeeds_with_consistent_timestamps(agent_api, current, new):
    service_request = request_in(current)
    before = timezone.now()

    response = move(agent_api, service_request, new)

    after = timezone.now()
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == new
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == new
    for field in ("resolved_at", "closed_at", "cancelled_at"):
        assert parsed(data[field]) == getattr(stored, field), field

    if new == "Resolved":
        assert before <= stored.resolved_at <= after
    elif new == "Closed":
        # Closing keeps the moment it was resolved.
        assert stored.resolved_at == service_request.resolved_at
    else:
        assert stored.resolved_at is None
    if new == "Closed":
        assert before <= stored.closed_at <= after
    else:
        assert stored.closed_at is None
    if new == "Cancelled":
        assert before <= stored.cancelled_at <= after
    else:
        assert stored.cancelled_at is None


@pytest.mark.parametrize(("current", "new"), FORBIDDEN_PAIRS, ids=[f"{c}->{n}" for c, n in FORBIDDEN_PAIRS])
def test_forbidden_transition_is_409_with_the_allowed_ones(agent_api, current, new):
    service_request = request_in(current)

    response = move(agent_api, service_request, new)

    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"error", "details"}
    assert current in body["error"]
    assert new in body["error"]
    assert body["details"]["allowed_transitions"] == ALLOWED[current]
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == current
    assert (stored.resolved_at, stored.closed_at, stored.cancelled_at) == (
        service_request.resolved_at,
        service_request.closed_at,
        service_request.cancelled_at,
    )
    assert stored.updated_at == service_request.updated_at


def test_forbidden_transition_applies_none_of_the_other_changes(admin_api):
    service_request = request_in("Closed", details="Original", resolution_details="Done")

    response = admin_api.put(
        f"/api/admin/requests/{service_request.pk}/",
        {"status": "Pending", "details": "Changed", "resolution_details": "Changed", "type_of_request": "Other"},
    )

    assert response.status_code == 409
    stored = ServiceRequest.objects.select_related("request_type").get(pk=service_request.pk)
    assert (stored.status, stored.details, stored.resolution_details, stored.request_type.name) == (
        "Closed",
        "Original",
        "Done",
        "Maintenance",
    )


@pytest.mark.parametrize("status", STATUSES)
def test_setting_the_current_status_again_is_a_no_op(agent_api, status):
    service_request = request_in(status)

    response = move(agent_api, service_request, status)

    assert response.status_code == 200, response.content
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == status
    assert (stored.resolved_at, stored.closed_at, stored.cancelled_at) == (
        service_request.resolved_at,
        service_request.closed_at,
        service_request.cancelled_at,
    )


@pytest.mark.parametrize("reopened_to", ["Pending", "In Progress"])
def test_reopening_clears_resolved_at_and_resolving_again_sets_a_new_one(agent_api, reopened_to):
    service_request = request_in("In Progress")

    first = parsed(move(agent_api, service_request, "Resolved").json()["data"]["resolved_at"])
    reopened = move(agent_api, service_request, reopened_to).json()["data"]
    second = parsed(move(agent_api, service_request, "Resolved").json()["data"]["resolved_at"])

    assert first is not None
    assert reopened["status"] == reopened_to
    assert reopened["resolved_at"] is None
    assert second > first


def test_full_life_of_a_request_through_http(customer_api, agent_api, admin_api):
    submitted = customer_api.post("/api/submit/", {"type_of_request": "Gas Leak", "details": "Smell of gas"}).json()
    request_id = submitted["data"]["id"]
    url = f"/api/admin/requests/{request_id}/"

    assert agent_api.patch(url, {"status": "In Progress"}).json()["data"]["status"] == "In Progress"
    resolved = agent_api.patch(url, {"status": "Resolved", "resolution_details": "Isolated and repaired"})
    closed = admin_api.patch(url, {"status": "Closed"})
    tracked = customer_api.get(f"/api/track/{request_id}/").json()["data"]

    assert resolved.status_code == closed.status_code == 200
    assert tracked["status"] == "Closed"
    assert tracked["resolution_details"] == "Isolated and repaired"
    assert tracked["resolved_at"] == resolved.json()["data"]["resolved_at"]
    assert tracked["closed_at"] is not None
    assert agent_api.patch(url, {"status": "Pending"}).status_code == 409


# --- the database refuses what the workflow would never write -------------------------------


def _now():
    return timezone.now()


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "Resolved", "resolved_at": None},
        {"status": "Pending", "resolved_at": _now},
        {"status": "In Progress", "resolved_at": _now},
        {"status": "Cancelled", "cancelled_at": _now, "resolved_at": _now},
        {"status": "Closed", "closed_at": None},
        {"status": "Pending", "closed_at": _now},
        {"status": "Resolved", "resolved_at": _now, "closed_at": _now},
        {"status": "Cancelled", "cancelled_at": None},
        {"status": "In Progress", "cancelled_at": _now},
        {"status": "Closed", "closed_at": _now, "cancelled_at": _now},
        {"status": "Done"},
        {"details": ""},
    ],
    ids=[
        "resolved-without-resolved_at",
        "pending-with-resolved_at",
        "in-progress-with-resolved_at",
        "cancelled-with-resolved_at",
        "closed-without-closed_at",
        "pending-with-closed_at",
        "resolved-with-closed_at",
        "cancelled-without-cancelled_at",
        "in-progress-with-cancelled_at",
        "closed-with-cancelled_at",
        "unknown-status",
        "empty-details",
    ],
)
def test_database_rejects_inconsistent_rows(fields):
    service_request = ServiceRequestFactory()
    values = {key: value() if callable(value) else value for key, value in fields.items()}

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.filter(pk=service_request.pk).update(**values)

    assert ServiceRequest.objects.get(pk=service_request.pk).status == "Pending"


@pytest.mark.parametrize("status", STATUSES)
def test_database_accepts_each_status_with_its_timestamps(status):
    service_request = request_in(status)
    assert ServiceRequest.objects.get(pk=service_request.pk).status == status
