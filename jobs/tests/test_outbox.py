"""The email outbox: written with the change, sent once after commit, retried, swept, never sent twice."""

import logging
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from jobs import outbox, tasks
from jobs.models import OutboxEmail
from jobs.outbox import queue_email

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses everything."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available")


def queue(**overrides):
    fields = {"subject": "[SR-TEST-0001] Hello", "body": "Body", "to": ["someone@example.com"], **overrides}
    return queue_email(**fields)


def test_an_email_is_a_row_sent_only_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue()
        assert OutboxEmail.objects.get().sent_at is None
        assert mail.outbox == []

    for callback in callbacks:
        callback()

    assert [message.to for message in mail.outbox] == [["someone@example.com"]]
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 1 and email.claimed_at is None


def test_a_rolled_back_change_queues_no_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")

    assert not OutboxEmail.objects.exists()
    assert mail.outbox == []


def test_a_task_delivered_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()

    assert tasks.deliver_email.delay(email.pk).get() == "duplicate"
    assert len(mail.outbox) == 1


def test_a_key_queues_an_email_once():
    first = queue(key="escalation:1:overdue")
    second = queue(key="escalation:1:overdue", subject="Another")

    assert first is not None and second is None
    assert OutboxEmail.objects.count() == 1


def test_no_recipient_no_email():
    assert queue(to=["", ""]) is None
    assert not OutboxEmail.objects.exists()


def test_a_failing_mail_server_releases_the_email_for_a_retry_with_backoff(settings, caplog):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    email = queue()

    with caplog.at_level(logging.WARNING, logger="jobs"):
        delivery = outbox.deliver(email.pk, will_retry=True)

    assert (delivery.outcome, delivery.retry_in) == ("failed", 30)
    email.refresh_from_db()
    assert email.sent_at is None and email.claimed_at is None and email.attempts == 1
    assert "SMTPException" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert [record.levelno for record in caplog.records] == [logging.WARNING]

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(email.pk, will_retry=True).outcome == "sent"
    assert len(mail.outbox) == 1


def test_backoff_doubles_and_stays_below_the_visibility_timeout(settings):
    settings.CELERY_VISIBILITY_TIMEOUT = 3600
    assert [outbox.retry_delay(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


def test_the_last_attempt_gives_up_and_logs_an_error(settings, caplog):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    email = queue()
    OutboxEmail.objects.filter(pk=email.pk).update(attempts=settings.EMAIL_MAX_ATTEMPTS - 1)

    with caplog.at_level(logging.WARNING, logger="jobs"):
        assert outbox.deliver(email.pk, will_retry=True).outcome == "gave_up"

    email.refresh_from_db()
    assert email.failed_at is not None
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert outbox.deliver(email.pk, will_retry=True).outcome == "duplicate"  # never tried again


def test_an_email_being_sent_elsewhere_is_left_alone_until_its_lease_lapses(settings):
    email = queue()
    OutboxEmail.objects.filter(pk=email.pk).update(claimed_at=timezone.now(), attempts=1)

    busy = outbox.deliver(email.pk, will_retry=True)
    assert busy.outcome == "busy" and 0 < busy.retry_in <= settings.EMAIL_SEND_LEASE_SECONDS + 1
    assert mail.outbox == []

    # The worker that claimed it died mid-send: once the lease lapses, another one sends it.
    lapsed = timezone.now() - timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS + 1)
    OutboxEmail.objects.filter(pk=email.pk).update(claimed_at=lapsed)
    assert outbox.deliver(email.pk, will_retry=True).outcome == "sent"
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 2


def test_the_sweep_sends_emails_that_were_never_enqueued_and_pushes_them_back():
    lost = queue(subject="lost between commit and enqueue")  # no on-commit callback ran: never enqueued
    fresh = queue(subject="just queued")
    claimed = queue(subject="being sent")
    minutes_ago = timezone.now() - timedelta(minutes=2)
    OutboxEmail.objects.filter(pk__in=[lost.pk, claimed.pk]).update(next_attempt_at=minutes_ago)
    OutboxEmail.objects.filter(pk=claimed.pk).update(claimed_at=timezone.now())

    assert tasks.retry_unsent_emails.delay().get() == 1

    assert [message.subject for message in mail.outbox] == ["lost between commit and enqueue"]
    assert outbox.unsent_email_ids() == []  # the fresh and the claimed ones are not due yet
    fresh.refresh_from_db()
    assert fresh.sent_at is None
