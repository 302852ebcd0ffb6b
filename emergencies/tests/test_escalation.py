"""Escalation on the clock: the on-call dispatcher is alerted once per stage, each alert on the record."""

import smtplib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import IntegrityError, transaction

from emergencies import services
from emergencies.escalation import NOT_ATTENDED, NOT_DISPATCHED, due, escalate_emergencies
from emergencies.models import Emergency, EmergencyEvent
from jobs.models import OutboxEmail
from testing.factories import CONTROLLED, UNCONTROLLED, make_dispatcher, make_engineer, report
from utility_services.models import RequestEvent

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def at(when, **kwargs) -> Emergency:
    with time_machine.travel(when, tick=False):
        return report(**kwargs)


@pytest.fixture
def run(django_capture_on_commit_callbacks, settings):
    """Run the escalation at T0 + minutes, sending its emails as a commit would."""
    settings.EMERGENCY_ONCALL_EMAIL = ["oncall@gas.example"]

    def run_at(minutes: float):
        mail.outbox.clear()
        now = T0 + timedelta(minutes=minutes)
        with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
            return [(alert.reference, alert.stage) for alert in escalate_emergencies(now)]

    return run_at


def test_an_undispatched_emergency_is_escalated_once_after_the_configured_time(run, settings):
    settings.EMERGENCY_DISPATCH_ALERT_MINUTES = 10
    emergency = at(T0, answers=UNCONTROLLED)

    assert run(9) == []
    assert run(10) == [(emergency.reference, NOT_DISPATCHED)]
    (email,) = mail.outbox
    assert email.to == ["oncall@gas.example"]
    assert emergency.reference in email.subject and "no engineer dispatched 10 minutes" in email.subject
    assert run(11) == []  # once per stage
    assert mail.outbox == []

    alert = emergency.events.get(kind="escalation")
    assert (alert.data, alert.once_key, alert.actor) == ({"stage": NOT_DISPATCHED}, "escalation:not_dispatched", None)
    mirrored = RequestEvent.objects.get(service_request=emergency.service_request, field="escalation")
    assert mirrored.is_internal


def test_the_dispatch_delay_is_a_setting(run, settings):
    settings.EMERGENCY_DISPATCH_ALERT_MINUTES = 3
    emergency = at(T0)
    assert run(3) == [(emergency.reference, NOT_DISPATCHED)]


def test_a_dispatched_emergency_is_not_escalated_for_dispatch(run):
    emergency = at(T0, answers=CONTROLLED)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        services.emergency_dispatch(acting_user=make_dispatcher(), emergency=emergency, engineer=make_engineer())
    assert run(30) == []


def test_an_unattended_emergency_is_escalated_fifteen_minutes_before_its_deadline(run):
    emergency = at(T0, answers=UNCONTROLLED)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.emergency_dispatch(acting_user=make_dispatcher(), emergency=emergency, engineer=make_engineer())

    assert run(44) == []
    assert run(45) == [(emergency.reference, NOT_ATTENDED)]
    assert "15 minutes before its deadline" in mail.outbox[0].subject
    assert run(70) == []


def test_both_stages_alert_once_each_and_late_ones_say_so(run):
    emergency = at(T0, answers=UNCONTROLLED)
    assert run(90) == [(emergency.reference, NOT_DISPATCHED), (emergency.reference, NOT_ATTENDED)]
    assert any("30 minutes past its deadline" in email.subject for email in mail.outbox)
    assert run(91) == []
    assert emergency.events.filter(kind="escalation").count() == 2


def test_a_vulnerable_controlled_escape_escalates_on_the_one_hour_clock(run):
    vulnerable = services.Answers(meter_off=True, gas_escaping=False, vulnerable_present=True)
    emergency = at(T0, answers=vulnerable)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        services.emergency_dispatch(acting_user=make_dispatcher(), emergency=emergency, engineer=make_engineer())

    assert run(45) == [(emergency.reference, NOT_ATTENDED)]


def test_attended_or_closed_emergencies_are_not_escalated(run, agent):
    from utility_services import services as request_services
    from utility_services.models import RequestType

    attended = at(T0, answers=UNCONTROLLED)
    engineer = make_engineer()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.emergency_dispatch(acting_user=make_dispatcher(), emergency=attended, engineer=engineer)
        services.emergency_record_step(acting_user=engineer, emergency=attended, step="arrived")
    stood_down = at(T0, answers=UNCONTROLLED)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        request_services.service_request_update(
            acting_user=agent,
            service_request=stood_down.service_request,
            request_type=RequestType.objects.get(name="Meter Reading"),
        )

    assert run(120) == []


def test_the_database_keeps_one_alert_per_stage_even_for_overlapping_runs():
    emergency = at(T0)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        escalate_emergencies()
        assert due(T0 + timedelta(minutes=20)) == []
        with pytest.raises(IntegrityError), transaction.atomic():
            EmergencyEvent.objects.create(
                emergency=emergency,
                kind="escalation",
                occurred_at=T0,
                data={"stage": NOT_DISPATCHED},
                once_key=f"escalation:{NOT_DISPATCHED}",
            )


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available")


def test_a_failing_mail_server_keeps_the_alert_on_the_record_and_in_the_outbox(run, settings):
    emergency = at(T0)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    assert run(15) == [(emergency.reference, NOT_DISPATCHED)]
    assert emergency.events.filter(kind="escalation").exists()
    # Not lost: the alert waits in the outbox for the retry sweep.
    (queued,) = OutboxEmail.objects.filter(key=f"emergency-escalation:{emergency.pk}:{NOT_DISPATCHED}")
    assert queued.sent_at is None and queued.recipients == ["oncall@gas.example"]


def test_the_management_command_runs_the_escalation():
    emergency = at(T0)
    out = StringIO()
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        call_command("escalate_emergencies", stdout=out)
    assert f"{emergency.reference} not_dispatched" in out.getvalue()
    assert "1 alert(s) sent." in out.getvalue()
