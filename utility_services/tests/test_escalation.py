"""SLA escalation, the periodic job: an overdue request alerts someone once per stage, whoever runs it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from testing.factories import ServiceRequestFactory, UserFactory
from utility_services import tasks
from utility_services.models import RequestEscalation, RequestEvent

pytestmark = pytest.mark.django_db


def overdue(hours: float, **fields):
    """A request that was due `hours` ago."""
    submitted = timezone.now() - timedelta(hours=hours + 200)
    return ServiceRequestFactory(submitted_at=submitted, due_at=timezone.now() - timedelta(hours=hours), **fields)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the periodic job as beat would (eagerly here), with its emails sent on commit."""

    def run_job():
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.escalate_overdue_requests.delay().get()

    return run_job


@pytest.fixture
def queue_owner(settings):
    settings.SLA_QUEUE_OWNER_EMAIL = ["desk-lead@example.com"]
    return "desk-lead@example.com"


def test_an_unassigned_overdue_request_alerts_the_queue_owner_once(run, queue_owner):
    request = overdue(1)

    assert run() == 1
    assert run() == 0

    [alert] = mail.outbox
    assert alert.to == [queue_owner]
    assert request.reference in alert.subject and "Overdue" in alert.subject
    [event] = RequestEvent.objects.filter(service_request=request, kind="escalated")
    assert event.is_internal and queue_owner in event.body


def test_an_assigned_overdue_request_alerts_its_assignee_then_both_a_day_later(run, queue_owner, settings):
    agent = UserFactory(role=User.Role.AGENT, email="fixer@example.com")
    request = overdue(1, assignee=agent)

    run()
    assert [email.to for email in mail.outbox] == [["fixer@example.com"]]

    request.due_at = timezone.now() - timedelta(hours=settings.SLA_SECOND_STAGE_HOURS + 1)
    request.save(update_fields=["due_at"])
    run()
    run()

    assert [email.to for email in mail.outbox] == [["fixer@example.com"], ["fixer@example.com", queue_owner]]
    assert set(request.escalations.values_list("stage", flat=True)) == {"overdue", "overdue_long"}


def test_a_deactivated_assignee_is_skipped_for_the_queue_owner(run, queue_owner):
    overdue(1, assignee=UserFactory(role=User.Role.AGENT, is_active=False))

    run()

    assert [email.to for email in mail.outbox] == [[queue_owner]]


@pytest.mark.parametrize("status", ["Resolved", "Closed", "Cancelled"])
def test_settled_or_not_yet_due_requests_are_left_alone(run, status):
    now = timezone.now()
    stamps = {"Resolved": {"resolved_at": now}, "Closed": {"resolved_at": now, "closed_at": now}}
    overdue(5, status=status, cancelled_at=now if status == "Cancelled" else None, **stamps.get(status, {}))
    ServiceRequestFactory()  # due in the future

    assert run() == 0
    assert mail.outbox == []


def test_a_backlog_is_worked_in_batches_oldest_due_first(run, settings):
    settings.SLA_ESCALATION_BATCH = 2
    oldest, middle, newest = overdue(3), overdue(2), overdue(1)

    assert run() == 2
    assert set(RequestEscalation.objects.values_list("service_request", flat=True)) == {oldest.pk, middle.pk}
    assert run() == 1
    assert RequestEscalation.objects.filter(service_request=newest).exists()
