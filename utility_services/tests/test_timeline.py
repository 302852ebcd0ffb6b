"""The timeline: every change is an event; internal notes and files never reach a customer.

Moved from test_lifecycle.py (split by subject).
"""

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from testing.assertions import success_data
from testing.factories import request_in
from testing.service_requests import (
    SUBMIT,
    TRACK,
    staff_url,
    submit,
    timeline_rows,
    track_url,
    upload,
)
from utility_services.models import RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


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
