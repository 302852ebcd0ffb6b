"""Emails about service requests, through HTTP: who is told what, only after commit, and never at the
cost of the change itself when the mail server fails.
"""

import logging
import smtplib
import socket

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

from testing.assertions import success_data
from testing.factories import ServiceRequestFactory, seed_request_type_catalogue
from testing.service_requests import staff_url, track_url
from utility_services.models import RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db

SUBMIT = "/api/submit/"


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available")


class CommitCheckingBackend(LocmemBackend):
    """Record, for each message, whether a transaction was still open when it was sent."""

    sent_inside_transaction: list[bool] = []

    def send_messages(self, messages):
        CommitCheckingBackend.sent_inside_transaction.append(connection.in_atomic_block)
        return super().send_messages(messages)


@pytest.fixture
def service_request(customer):
    return ServiceRequestFactory(customer=customer, details="Meter is ticking")


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks of whatever is done inside `with sent():`, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- the customer hears about public updates only ---------------------------------------------------


def test_staff_status_change_emails_the_customer(agent_api, customer, service_request, sent):
    with sent():
        success_data(agent_api.put(staff_url(service_request.pk), {"status": "In Progress"}))

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.email]
    assert service_request.reference in email.subject
    assert "In Progress" in email.subject
    assert "from Pending to In Progress" in email.body
    assert service_request.reference in email.body


def test_resolution_email_carries_the_resolution_details(agent_api, customer, service_request, sent):
    with sent():
        success_data(
            agent_api.put(staff_url(service_request.pk), {"status": "Resolved", "resolution_details": "New regulator"})
        )

    assert [email.to for email in mail.outbox] == [[customer.email]]
    assert "Resolved" in mail.outbox[0].subject
    assert "New regulator" in mail.outbox[0].body


def test_public_note_emails_the_customer_with_the_note(agent_api, customer, service_request, sent):
    with sent():
        success_data(
            agent_api.post(
                staff_url(service_request.pk, "notes"),
                {"body": "An engineer will call on Tuesday", "is_internal": False},
            ),
            201,
        )

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.email]
    assert service_request.reference in email.subject
    assert "An engineer will call on Tuesday" in email.body


@pytest.mark.parametrize("payload", [{}, {"is_internal": True}], ids=["default", "explicit"])
def test_internal_note_emails_nobody(agent_api, agent, customer, payload, sent):
    service_request = ServiceRequestFactory(customer=customer, assignee=agent)

    with sent():
        success_data(
            agent_api.post(staff_url(service_request.pk, "notes"), {"body": "Customer seemed annoyed", **payload}), 201
        )

    assert mail.outbox == []


@pytest.mark.parametrize("change", ["priority", "assignee", "details"])
def test_internal_changes_do_not_email_the_customer(agent_api, agent, customer, service_request, change, sent):
    payload = {"priority": {"priority": "High"}, "assignee": {"assignee": agent.pk}, "details": {"details": "Typo"}}

    with sent():
        success_data(agent_api.put(staff_url(service_request.pk), payload[change]))

    assert all(customer.email not in email.to for email in mail.outbox)


def test_customer_actions_do_not_email_the_customer_back(customer_api, customer, service_request, sent):
    with sent():
        success_data(customer_api.post(track_url(service_request.pk, "comments"), {"body": "More info"}), 201)
        success_data(customer_api.post(track_url(service_request.pk, "cancel"), {}))

    assert all(customer.email not in email.to for email in mail.outbox)


# --- the assignee hears about the customer's comments -----------------------------------------------


def test_customer_comment_emails_the_assignee(customer_api, agent, customer, sent):
    service_request = ServiceRequestFactory(customer=customer, assignee=agent)

    with sent():
        success_data(
            customer_api.post(track_url(service_request.pk, "comments"), {"body": "The meter is in the garage"}), 201
        )

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [agent.email]
    assert service_request.reference in email.subject
    assert "The meter is in the garage" in email.body
    assert customer.customer_id in email.body


def test_comment_on_an_unassigned_request_emails_nobody(customer_api, service_request, sent):
    with sent():
        success_data(customer_api.post(track_url(service_request.pk, "comments"), {"body": "Anyone there?"}), 201)

    assert mail.outbox == []


# --- sent after commit -------------------------------------------------------------------------------

# Each action that sends one email, done as the person who would do it.
ACTIONS = {
    "status change": ("agent_api", "put", "", {"status": "In Progress"}, 200),
    "public note": ("agent_api", "post", "notes", {"body": "Engineer booked", "is_internal": False}, 201),
    "customer comment": ("customer_api", "post", "comments", {"body": "The meter is in the garage"}, 201),
    "emergency submission": ("customer_api", "post", None, {"type_of_request": "Gas Leak", "details": "Gas!"}, 201),
}


def perform(request, action: str, service_request: ServiceRequest):
    """Do `action` through HTTP; return the response and the request it concerns."""
    client_fixture, method, path, payload, status = ACTIONS[action]
    client = request.getfixturevalue(client_fixture)
    if path is None:
        response = client.post(SUBMIT, payload)
        assert response.status_code == status, response.content
        return response, ServiceRequest.objects.get(pk=response.json()["data"]["id"])
    url = (
        track_url(service_request.pk, path) if client_fixture == "customer_api" else staff_url(service_request.pk, path)
    )
    response = client.request(method, url, payload)
    assert response.status_code == status, response.content
    return response, service_request


@pytest.fixture
def assigned_request(customer, agent):
    return ServiceRequestFactory(customer=customer, assignee=agent, details="Meter is ticking")


@pytest.mark.parametrize("action", ACTIONS)
def test_email_waits_for_the_commit(request, action, assigned_request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _, concerned = perform(request, action, assigned_request)

        assert mail.outbox == []

    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert concerned.reference in mail.outbox[0].subject


# Transactional tests run against a flushed database; the catalogue has to be seeded again.


@pytest.fixture
def request_type_catalogue(transactional_db):
    seed_request_type_catalogue()


@pytest.fixture
def committed_request(request_type_catalogue, customer, agent):
    return ServiceRequestFactory(customer=customer, assignee=agent, details="Meter is ticking")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ACTIONS)
def test_email_is_sent_once_the_change_is_committed(request, settings, action, committed_request):
    settings.EMAIL_BACKEND = f"{__name__}.CommitCheckingBackend"
    CommitCheckingBackend.sent_inside_transaction = []

    _, concerned = perform(request, action, committed_request)

    assert CommitCheckingBackend.sent_inside_transaction == [False]
    assert len(mail.outbox) == 1
    assert concerned.reference in mail.outbox[0].subject


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["raising-backend", "smtp-server-down"])
def broken_mail(request, settings):
    """A mail backend that raises SMTPException, or the real SMTP backend with nobody listening."""
    if request.param == "raising-backend":
        settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    else:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ACTIONS)
def test_failing_mail_server_neither_fails_nor_rolls_back_the_change(
    request, caplog, broken_mail, action, committed_request
):
    events_before = RequestEvent.objects.count()

    with caplog.at_level(logging.ERROR, logger="utility_services"):
        response, concerned = perform(request, action, committed_request)

    assert response.json()["data"]
    stored = ServiceRequest.objects.get(pk=concerned.pk)
    expected_kind = {
        "status change": "status_changed",
        "public note": "note",
        "customer comment": "comment",
        "emergency submission": "submitted",
    }[action]
    # An emergency submission also opens the emergency record, whose receipt is on the timeline.
    added = ["emergency"] if action == "emergency submission" else []
    assert RequestEvent.objects.count() == events_before + 1 + len(added)
    assert [event.kind for event in stored.events.order_by("id")][-1 - len(added) :] == [expected_kind, *added]
    if action == "status change":
        assert stored.status == "In Progress"
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert concerned.reference in errors[0].getMessage()
    assert errors[0].exc_info is not None
    assert mail.outbox == []


# --- moved from test_hardening.py (rules found in review) ---------------------------------------
QUEUE = "/api/admin/requests/"


def test_reclassifying_as_an_emergency_alerts_on_call(
    agent_api, settings, caplog, django_capture_on_commit_callbacks, mailoutbox
):
    settings.EMERGENCY_ONCALL_EMAIL = ["oncall@gas.example"]
    request = ServiceRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.patch(f"{QUEUE}{request.pk}/", {"type_of_request": "Gas Leak"})
    assert response.status_code == 200
    assert response.json()["data"]["priority"] == "Emergency"
    assert any(record.levelname == "WARNING" and request.reference in record.getMessage() for record in caplog.records)
    assert [message.to for message in mailoutbox] == [["oncall@gas.example"]]


def test_a_deactivated_agent_gets_no_customer_email(
    customer_api, customer, agent, admin_api, django_capture_on_commit_callbacks, mailoutbox
):
    request = ServiceRequestFactory(customer=customer, assignee=agent)
    assert admin_api.patch(f"/accounts/api/admin/users/{agent.pk}/", {"is_active": False}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_api.post(f"/api/track/{request.pk}/comments/", {"body": "My phone is 07700 900123"})
    assert response.status_code == 201
    assert mailoutbox == []
