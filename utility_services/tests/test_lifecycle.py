"""The service-request lifecycle through HTTP: references, customer actions, staff changes, the timeline,
emergencies and due dates.

Customers cancel, reopen and comment on their own requests and can change nothing else;
staff change status, priority and assignee and write notes; every change is a timeline event,
and internal notes never reach a customer.
"""

import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from testing.assertions import error_details, success_data
from testing.factories import ServiceRequestFactory, UserFactory, request_in
from testing.service_requests import snapshot, staff_url, track_url
from utility_services.models import RequestEvent, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

SUBMIT = "/api/submit/"
TRACK = "/api/track/"
QUEUE = "/api/admin/requests/"
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


# --- helpers ----------------------------------------------------------------------------------


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


@pytest.fixture
def inactive_agent(db):
    return UserFactory(username="gone", name="Gone Agent", role=User.Role.AGENT, is_active=False)


# --- references -------------------------------------------------------------------------------


def test_each_submission_gets_a_unique_readable_reference_that_is_not_a_counter(customer_api):
    references = [submit(customer_api, details=f"Request {n}")["reference"] for n in range(20)]

    assert all(REFERENCE.match(reference) for reference in references), references
    assert len(set(references)) == len(references)
    # Twenty random codes come out in submission order once in 20! tries; a counter always does.
    assert sorted(references) != references
    stored = dict(ServiceRequest.objects.values_list("pk", "reference"))
    assert sorted(stored.values()) == sorted(references)


def test_reference_appears_in_every_response_and_email_subject(
    customer_api, agent_api, customer, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted = submit(customer_api, "Gas Leak", "Smell of gas in the hall")
        reference, request_id = submitted["reference"], submitted["id"]
        staff_detail = success_data(agent_api.put(staff_url(request_id), {"assignee": agent.pk}))
        success_data(agent_api.put(staff_url(request_id), {"status": "In Progress"}))
        success_data(customer_api.post(track_url(request_id, "comments"), {"body": "It is getting stronger"}), 201)
        success_data(agent_api.post(staff_url(request_id, "notes"), {"body": "On our way", "is_internal": False}), 201)

    assert REFERENCE.match(reference)
    assert [item["reference"] for item in success_data(customer_api.get(TRACK))] == [reference]
    assert success_data(customer_api.get(track_url(request_id)))["reference"] == reference
    assert [item["reference"] for item in success_data(agent_api.get(QUEUE))] == [reference]
    assert staff_detail["reference"] == reference
    assert success_data(agent_api.get(staff_url(request_id)))["reference"] == reference
    recipients = {address for email in mail.outbox for address in email.to}
    assert {"oncall@localhost", customer.email, agent.email} <= recipients
    assert all(reference in email.subject for email in mail.outbox), [email.subject for email in mail.outbox]


def test_staff_search_by_reference_finds_exactly_that_request(customer_api, agent_api, other_customer):
    wanted = submit(customer_api, details="Wanted")
    submit(customer_api, details="Another one")
    ServiceRequestFactory.create_batch(3, customer=other_customer)

    assert ids(agent_api.get(QUEUE, {"search": wanted["reference"]})) == [wanted["id"]]
    assert ids(agent_api.get(QUEUE, {"search": wanted["reference"].lower()})) == [wanted["id"]]


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


# --- the timeline -----------------------------------------------------------------------------------


def test_every_change_is_a_timeline_event_with_actor_time_and_values(customer_api, agent_api, agent):
    start = timezone.now()
    request_id = submit(customer_api)["id"]
    url = staff_url(request_id)
    steps = [
        lambda: agent_api.put(url, {"priority": "High"}),
        lambda: agent_api.put(url, {"assignee": agent.pk}),
        lambda: agent_api.put(url, {"status": "In Progress"}),
        lambda: customer_api.post(track_url(request_id, "comments"), {"body": "Meter still ticking"}),
        lambda: agent_api.post(staff_url(request_id, "notes"), {"body": "Check the regulator"}),
        lambda: agent_api.post(staff_url(request_id, "notes"), {"body": "Engineer booked", "is_internal": False}),
        lambda: upload(customer_api, track_url(request_id, "attachments")),
        lambda: agent_api.put(url, {"resolution_details": "Replaced regulator"}),
        lambda: agent_api.put(url, {"status": "Resolved"}),
        lambda: customer_api.post(track_url(request_id, "reopen"), {"reason": "Ticking again"}),
        lambda: customer_api.post(track_url(request_id, "cancel"), {"reason": "Moving out"}),
    ]
    for step in steps:
        response = step()
        assert response.status_code in (200, 201), response.content

    staff_timeline = success_data(agent_api.get(url))["timeline"]
    customer_timeline = success_data(customer_api.get(track_url(request_id)))["timeline"]

    carol, agnes = "Carol Customer", "Agnes Agent"
    expected = [
        ("submitted", carol, "", "", "Pending", "", False),
        ("priority_changed", agnes, "priority", "Normal", "High", "", True),
        ("assigned", agnes, "assignee", "", agnes, "", True),
        ("status_changed", agnes, "status", "Pending", "In Progress", "", False),
        ("comment", carol, "", "", "", "Meter still ticking", False),
        ("note", agnes, "", "", "", "Check the regulator", True),
        ("note", agnes, "", "", "", "Engineer booked", False),
        ("attachment", carol, "", "", "meter.png", "", False),
        ("updated", agnes, "resolution_details", "", "Replaced regulator", "", False),
        ("status_changed", agnes, "status", "In Progress", "Resolved", "", False),
        ("reopened", carol, "status", "Resolved", "In Progress", "Ticking again", False),
        ("cancelled", carol, "status", "In Progress", "Cancelled", "Moving out", False),
    ]
    assert timeline_rows(staff_timeline, with_internal=True) == expected
    assert timeline_rows(customer_timeline, with_internal=False) == [row[:-1] for row in expected if not row[-1]]
    assert all("is_internal" not in event for event in customer_timeline)
    times = [parse_datetime(event["created_at"]) for event in staff_timeline]
    assert times == sorted(times)
    assert start <= times[0] and times[-1] <= timezone.now()


SECRET = "INTERNAL-ONLY: customer was rude, valve code 4471"


def test_internal_note_never_reaches_the_customer(
    customer_api, agent_api, customer, agent, django_capture_on_commit_callbacks
):
    service_request = request_in("Pending", customer=customer, assignee=agent)
    note_url, url = staff_url(service_request.pk, "notes"), staff_url(service_request.pk)
    customer_responses = []

    def as_customer(response):
        assert response.status_code in (200, 201), response.content
        customer_responses.append(response.content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        success_data(agent_api.post(note_url, {"body": SECRET}), 201)
        success_data(agent_api.post(note_url, {"body": SECRET, "is_internal": True}), 201)
        success_data(agent_api.put(url, {"status": "In Progress"}))
        success_data(agent_api.post(note_url, {"body": "We will call tomorrow", "is_internal": False}), 201)
        as_customer(customer_api.get(TRACK))
        as_customer(customer_api.get(track_url(service_request.pk)))
        as_customer(customer_api.post(track_url(service_request.pk, "comments"), {"body": "Thanks"}))
        as_customer(customer_api.post(SUBMIT, {"type_of_request": "Other", "details": "A second thing"}))
        success_data(agent_api.put(url, {"status": "Resolved", "resolution_details": "Fixed"}))
        as_customer(customer_api.post(track_url(service_request.pk, "reopen"), {}))
        as_customer(customer_api.post(track_url(service_request.pk, "cancel"), {}))
        as_customer(customer_api.get(track_url(service_request.pk)))

    assert SECRET in agent_api.get(url).content.decode()  # the note exists; staff see it
    assert all(SECRET not in content for content in customer_responses)
    customer_emails = [email for email in mail.outbox if customer.email in email.to]
    assert len(customer_emails) == 3  # two status changes and the public note
    assert all(SECRET not in email.subject + email.body for email in customer_emails)


def test_deleting_a_request_keeps_its_timeline(customer_api, agent_api, admin_api, agent):
    submitted = submit(customer_api)
    request_id, reference = submitted["id"], submitted["reference"]
    success_data(agent_api.put(staff_url(request_id), {"assignee": agent.pk, "status": "In Progress"}))
    success_data(agent_api.post(staff_url(request_id, "notes"), {"body": "Internal"}), 201)
    kept = list(RequestEvent.objects.filter(service_request_id=request_id).values_list("id", "kind"))

    success_data(admin_api.delete(staff_url(request_id)))

    assert not ServiceRequest.objects.filter(pk=request_id).exists()
    events = RequestEvent.objects.filter(request_reference=reference).order_by("created_at", "id")
    assert [(event.id, event.kind) for event in events][:-1] == kept
    assert all(event.service_request_id is None for event in events)
    deleted = events.last()
    assert (deleted.kind, deleted.actor_name, deleted.old_value, deleted.is_internal) == (
        "deleted",
        "Adam Admin",
        "In Progress",
        True,
    )


# --- emergencies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_of_request", ["Gas Leak", "Carbon Monoxide"])
@pytest.mark.parametrize("phone", [None, "0800 000 123"], ids=["default-number", "configured-number"])
def test_emergency_submission_warns_alerts_and_shows_the_safety_notice(
    customer_api, agent_api, customer, settings, caplog, django_capture_on_commit_callbacks, type_of_request, phone
):
    if phone:
        settings.EMERGENCY_PHONE_NUMBER = phone
    settings.EMERGENCY_ONCALL_EMAIL = ["oncall@gas.example", "duty@gas.example"]
    phone = settings.EMERGENCY_PHONE_NUMBER

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = customer_api.post(SUBMIT, {"type_of_request": type_of_request, "details": "Alarm going off"})
    data = success_data(response, 201)

    reference = data["reference"]
    message = response.json()["message"]
    assert phone in message
    assert reference in message
    assert "leave the property" in message.lower()
    notice = data["safety_notice"]
    assert notice["emergency_phone"] == phone
    steps = " ".join(notice["steps"]).lower()
    assert phone in steps
    assert "switches" in steps
    assert "out of the property" in steps
    assert data["is_emergency"] is True
    assert success_data(customer_api.get(track_url(data["id"])))["safety_notice"] == notice
    assert success_data(agent_api.get(staff_url(data["id"])))["priority"] == "Emergency"
    assert ServiceRequest.objects.get(pk=data["id"]).priority == ServiceRequest.Priority.EMERGENCY
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and reference in r.getMessage()]
    assert len(warnings) == 1
    assert type_of_request in warnings[0].getMessage()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["oncall@gas.example", "duty@gas.example"]
    assert reference in mail.outbox[0].subject
    assert "Alarm going off" in mail.outbox[0].body
    assert customer.customer_id in mail.outbox[0].body


def test_non_emergency_has_no_safety_notice_warning_or_alert(customer_api, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = customer_api.post(SUBMIT, {"type_of_request": "Maintenance", "details": "Meter is ticking"})
    data = success_data(response, 201)

    assert data["safety_notice"] is None
    assert data["is_emergency"] is False
    assert success_data(customer_api.get(track_url(data["id"])))["safety_notice"] is None
    assert ServiceRequest.objects.get(pk=data["id"]).priority == ServiceRequest.Priority.NORMAL
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert mail.outbox == []


def test_emergency_is_first_in_the_staff_queue_even_when_older(customer_api, agent_api, other_customer):
    emergency_id = submit(customer_api, "Gas Leak", "Smell of gas")["id"]
    ServiceRequest.objects.filter(pk=emergency_id).update(submitted_at=timezone.now() - timedelta(days=2))
    high = ServiceRequestFactory(customer=other_customer, priority=ServiceRequest.Priority.HIGH)
    newest = ServiceRequestFactory(customer=other_customer)

    assert ids(agent_api.get(QUEUE)) == [emergency_id, high.pk, newest.pk]


# --- due dates and overdue ----------------------------------------------------------------------------


@pytest.mark.parametrize("type_of_request", ["Gas Leak", "Maintenance", "New Connection", "Other"])
def test_due_at_is_submission_plus_the_types_target(customer_api, agent_api, type_of_request):
    # The target is data: change it and the due date follows.
    RequestType.objects.filter(name="Other").update(target_resolution_hours=7)
    hours = RequestType.objects.get(name=type_of_request).target_resolution_hours

    data = submit(customer_api, type_of_request)

    due_at = parse_datetime(data["due_at"])
    assert due_at - parse_datetime(data["submitted_at"]) == timedelta(hours=hours)
    assert parse_datetime(success_data(agent_api.get(staff_url(data["id"])))["due_at"]) == due_at
    assert ServiceRequest.objects.get(pk=data["id"]).due_at == due_at


@pytest.mark.parametrize("status", STATUSES)
def test_only_open_requests_past_due_are_overdue(agent_api, status):
    now = timezone.now()
    past_due = request_in(status, submitted_at=now - timedelta(days=5), due_at=now - timedelta(minutes=1))
    not_due = request_in("Pending")
    is_overdue = status in OPEN

    listed = {item["id"]: item["is_overdue"] for item in success_data(agent_api.get(QUEUE))}

    assert listed == {past_due.pk: is_overdue, not_due.pk: False}
    assert success_data(agent_api.get(staff_url(past_due.pk)))["is_overdue"] is is_overdue
    assert ids(agent_api.get(QUEUE, {"overdue": "true"})) == ([past_due.pk] if is_overdue else [])
    assert set(ids(agent_api.get(QUEUE, {"overdue": "false"}))) == (
        {not_due.pk} if is_overdue else {past_due.pk, not_due.pk}
    )
