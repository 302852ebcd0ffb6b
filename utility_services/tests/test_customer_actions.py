"""What a customer may do to their own request through HTTP: cancel, reopen and comment, and nothing else.

Moved from test_lifecycle.py (split by subject).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from testing.assertions import error_details, success_data
from testing.factories import request_in
from testing.service_requests import (
    CUSTOMER_ACTIONS,
    OPEN,
    SUBMIT,
    snapshot,
    staff_url,
    track_url,
)
from utility_services.models import ServiceRequest

pytestmark = pytest.mark.django_db


# --- customer actions: cancel, reopen, comment --------------------------------------------------


@pytest.mark.parametrize("status", OPEN)
def test_customer_cancels_their_open_request(customer_api, customer, status):
    service_request = request_in(status, customer=customer)
    before = timezone.now()

    data = success_data(customer_api.post(track_url(service_request.pk, "cancel"), {"reason": "Sorted it myself"}))

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == data["status"] == "Cancelled"
    assert before <= stored.cancelled_at <= timezone.now()
    assert parse_datetime(data["cancelled_at"]) == stored.cancelled_at
    assert data["reference"] == service_request.reference
    assert (data["can_cancel"], data["can_reopen"]) == (False, False)


@pytest.mark.parametrize("status", ["Resolved", "Closed", "Cancelled"])
def test_customer_cannot_cancel_a_request_that_is_no_longer_open(customer_api, customer, status):
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    details = error_details(customer_api.post(track_url(service_request.pk, "cancel"), {}), 409)

    assert details["status"] == status
    assert snapshot(service_request) == before


@pytest.mark.parametrize(("assigned", "reopened_to"), [(False, "Pending"), (True, "In Progress")])
def test_customer_reopens_a_resolved_request_within_the_window(customer_api, customer, agent, assigned, reopened_to):
    service_request = request_in(
        "Resolved",
        customer=customer,
        assignee=agent if assigned else None,
        resolved_at=timezone.now() - timedelta(days=14) + timedelta(minutes=5),
    )

    data = success_data(customer_api.post(track_url(service_request.pk, "reopen"), {"reason": "Still smells"}))

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == data["status"] == reopened_to
    assert stored.resolved_at is None
    assert data["resolved_at"] is None
    assert stored.assignee_id == (agent.pk if assigned else None)


@pytest.mark.parametrize(
    ("window_days", "resolved_days_ago"), [(14, 14), (14, 30), (2, 3)], ids=["just-past-14", "long-past", "window-2"]
)
def test_customer_cannot_reopen_after_the_window(customer_api, customer, settings, window_days, resolved_days_ago):
    settings.SERVICE_REQUEST_REOPEN_DAYS = window_days
    resolved_at = timezone.now() - timedelta(days=resolved_days_ago, minutes=5)
    service_request = request_in("Resolved", customer=customer, resolved_at=resolved_at)
    before = snapshot(service_request)

    response = customer_api.post(track_url(service_request.pk, "reopen"), {})

    error_details(response, 409)
    assert str(window_days) in response.json()["error"]
    assert snapshot(service_request) == before


def test_reopen_window_follows_the_setting(customer_api, customer, settings):
    settings.SERVICE_REQUEST_REOPEN_DAYS = 30
    service_request = request_in("Resolved", customer=customer, resolved_at=timezone.now() - timedelta(days=20))

    assert success_data(customer_api.post(track_url(service_request.pk, "reopen"), {}))["status"] == "Pending"


@pytest.mark.parametrize("status", ["Pending", "In Progress", "On Hold", "Closed", "Cancelled"])
def test_customer_cannot_reopen_a_request_that_is_not_resolved(customer_api, customer, status):
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    error_details(customer_api.post(track_url(service_request.pk, "reopen"), {}), 409)

    assert snapshot(service_request) == before


@pytest.mark.parametrize("status", [*OPEN, "Resolved"])
def test_customer_comment_is_added_to_the_timeline(customer_api, agent_api, customer, status):
    service_request = request_in(status, customer=customer)

    comment = success_data(
        customer_api.post(track_url(service_request.pk, "comments"), {"body": "The meter is in the garage"}), 201
    )

    assert (comment["kind"], comment["actor"], comment["body"]) == (
        "comment",
        "Carol Customer",
        "The meter is in the garage",
    )
    assert "is_internal" not in comment
    customer_timeline = success_data(customer_api.get(track_url(service_request.pk)))["timeline"]
    staff_timeline = success_data(agent_api.get(staff_url(service_request.pk)))["timeline"]
    assert customer_timeline[-1] == comment
    assert staff_timeline[-1] == {**comment, "is_internal": False}
    assert ServiceRequest.objects.get(pk=service_request.pk).status == status


@pytest.mark.parametrize("status", ["Closed", "Cancelled"])
def test_customer_cannot_comment_on_a_closed_or_cancelled_request(customer_api, customer, status):
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    error_details(customer_api.post(track_url(service_request.pk, "comments"), {"body": "Hello?"}), 409)

    assert snapshot(service_request) == before


@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_another_customers_request_is_404_for_every_action(other_customer_api, customer, action):
    status, payload = CUSTOMER_ACTIONS[action]
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    error_details(other_customer_api.post(track_url(service_request.pk, action), payload), 404)

    assert snapshot(service_request) == before
    error_details(other_customer_api.get(track_url(service_request.pk)), 404)


@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_anonymous_caller_gets_401_for_every_action(api, customer, action):
    status, payload = CUSTOMER_ACTIONS[action]
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    response = api.post(track_url(service_request.pk, action), payload)

    error_details(response, 401)
    assert response["WWW-Authenticate"]
    assert snapshot(service_request) == before


@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_customer_action_without_csrf_token_is_refused(customer_api, customer, action):
    status, payload = CUSTOMER_ACTIONS[action]
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    response = customer_api.post(track_url(service_request.pk, action), payload, csrf=False)

    error_details(response, 403)
    assert "CSRF" in response.json()["error"]
    assert snapshot(service_request) == before


# --- a customer cannot change status, priority or assignee by any route -------------------------

FORBIDDEN_CHANGES = {"status": "Resolved", "priority": "Emergency", "assignee": None}


@pytest.fixture
def forbidden_change(agent):
    """A body that would resolve the request, make it an emergency and assign it to an agent."""
    return {**FORBIDDEN_CHANGES, "assignee": agent.pk}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_track_detail_answers_405_to_every_write(customer_api, customer, forbidden_change, method):
    service_request = request_in("Pending", customer=customer)
    before = snapshot(service_request)

    response = customer_api.request(
        method, track_url(service_request.pk), None if method == "delete" else forbidden_change
    )

    error_details(response, 405)
    assert snapshot(service_request) == before


@pytest.mark.parametrize(
    ("method", "action"),
    [("put", ""), ("patch", ""), ("delete", ""), ("post", "notes")],
    ids=["put", "patch", "delete", "notes"],
)
def test_staff_routes_refuse_the_owner_with_403(customer_api, customer, forbidden_change, method, action):
    service_request = request_in("Pending", customer=customer)
    before = snapshot(service_request)
    payload = None if method == "delete" else {**forbidden_change, "body": "Resolved", "is_internal": False}

    error_details(customer_api.request(method, staff_url(service_request.pk, action), payload), 403)

    assert snapshot(service_request) == before


@pytest.mark.parametrize("field", FORBIDDEN_CHANGES)
@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_customer_action_refuses_extra_fields_by_name(customer_api, customer, forbidden_change, action, field):
    status, payload = CUSTOMER_ACTIONS[action]
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    details = error_details(
        customer_api.post(track_url(service_request.pk, action), {**payload, field: forbidden_change[field]}), 400
    )

    assert list(details) == [field]
    assert snapshot(service_request) == before


@pytest.mark.parametrize("multipart", [False, True], ids=["json", "multipart"])
@pytest.mark.parametrize("field", FORBIDDEN_CHANGES)
def test_submit_refuses_extra_fields_by_name(customer_api, forbidden_change, field, multipart):
    payload = {"type_of_request": "Maintenance", "details": "Meter is ticking", field: forbidden_change[field]}
    if multipart:
        payload[field] = "" if payload[field] is None else payload[field]
        response = customer_api.client.post(SUBMIT, payload, headers={"X-CSRFToken": customer_api.csrf_token})
    else:
        response = customer_api.post(SUBMIT, payload)

    assert list(error_details(response, 400)) == [field]
    assert not ServiceRequest.objects.exists()
