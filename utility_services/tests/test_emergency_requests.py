"""Emergency request types through HTTP: priority, the on-call alert and the clock.

Moved from test_lifecycle.py (split by subject).
"""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from testing.assertions import success_data
from testing.factories import ServiceRequestFactory
from testing.service_requests import (
    QUEUE,
    SUBMIT,
    ids,
    staff_url,
    submit,
    track_url,
)
from utility_services.models import ServiceRequest

pytestmark = pytest.mark.django_db


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
