"""Staff changes through HTTP: status, priority, assignee and notes.

Moved from test_lifecycle.py (split by subject).
"""

import pytest

from testing.assertions import error_details, success_data
from testing.factories import request_in
from testing.service_requests import (
    snapshot,
    staff_url,
    timeline_rows,
    track_url,
)
from utility_services.models import ServiceRequest

pytestmark = pytest.mark.django_db


# --- staff changes --------------------------------------------------------------------------------


def test_staff_put_changes_status_priority_assignee_and_resolution(agent_api, admin_user, customer):
    service_request = request_in("Pending", customer=customer)

    data = success_data(
        agent_api.put(
            staff_url(service_request.pk),
            {"status": "On Hold", "priority": "High", "assignee": admin_user.pk, "resolution_details": "Parts ordered"},
        )
    )

    assert (data["status"], data["priority"], data["assignee"]["id"], data["resolution_details"]) == (
        "On Hold",
        "High",
        admin_user.pk,
        "Parts ordered",
    )
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.status, stored.priority, stored.assignee, stored.resolution_details) == (
        "On Hold",
        ServiceRequest.Priority.HIGH,
        admin_user,
        "Parts ordered",
    )
    kinds = {event["kind"] for event in data["timeline"]}
    assert {"status_changed", "priority_changed", "assigned", "updated"} <= kinds


def test_staff_can_unassign_with_null(agent_api, agent, customer):
    service_request = request_in("In Progress", customer=customer, assignee=agent)

    data = success_data(agent_api.put(staff_url(service_request.pk), {"assignee": None}))

    assert data["assignee"] is None
    assert ServiceRequest.objects.get(pk=service_request.pk).assignee is None
    assert timeline_rows(data["timeline"][-1:], with_internal=True) == [
        ("assigned", "Agnes Agent", "assignee", "Agnes Agent", "", "", True)
    ]


@pytest.mark.parametrize("assignee", ["customer", "other_customer", "inactive_agent", "missing"])
def test_assignee_must_be_an_active_agent_or_admin(request, agent_api, customer, assignee):
    user_id = 999_999 if assignee == "missing" else request.getfixturevalue(assignee).pk
    service_request = request_in("Pending", customer=customer)
    before = snapshot(service_request)

    details = error_details(agent_api.put(staff_url(service_request.pk), {"assignee": user_id}), 400)

    assert list(details) == ["assignee"]
    assert snapshot(service_request) == before


def test_forbidden_transition_is_409_listing_the_allowed_ones_and_records_nothing(agent_api, customer):
    service_request = request_in("Resolved", customer=customer)
    before = snapshot(service_request)

    details = error_details(agent_api.put(staff_url(service_request.pk), {"status": "On Hold", "priority": "Low"}), 409)

    assert details["allowed_transitions"] == ["Pending", "In Progress", "Closed"]
    assert snapshot(service_request) == before


@pytest.mark.parametrize(
    ("payload", "internal"), [({}, True), ({"is_internal": True}, True), ({"is_internal": False}, False)]
)
def test_staff_note_is_internal_unless_marked_public(agent_api, customer_api, customer, payload, internal):
    service_request = request_in("Pending", customer=customer)

    note = success_data(
        agent_api.post(staff_url(service_request.pk, "notes"), {"body": "Called the customer", **payload}), 201
    )

    assert (note["kind"], note["actor"], note["body"], note["is_internal"]) == (
        "note",
        "Agnes Agent",
        "Called the customer",
        internal,
    )
    assert success_data(agent_api.get(staff_url(service_request.pk)))["timeline"][-1] == note
    customer_bodies = [
        event["body"] for event in success_data(customer_api.get(track_url(service_request.pk)))["timeline"]
    ]
    assert ("Called the customer" in customer_bodies) is not internal
