"""Email through a transactional outbox: written with the change, sent once by a task.

`queue_email()` is the one way this project sends email. It writes an `OutboxEmail` row
in the caller's transaction and, once that transaction commits, enqueues `deliver_email`
with the row's id. Delivery is at least once; sending is once:

- a crash between the commit and the enqueue leaves the row unsent: the periodic
  `retry_unsent_emails` job enqueues it again;
- a worker claims the row (`claimed_at`, one UPDATE) before it talks to the mail server
  and marks it sent (`sent_at`) after, so a task delivered twice, or enqueued by the sweep
  while the first copy still waits in the queue, finds it sent (or claimed) and sends nothing;
- a worker killed mid-send leaves a claim that lapses after EMAIL_SEND_LEASE_SECONDS, then
  the task is delivered again (acks_late) and sends it;
- a failing mail server releases the claim; the task retries with exponential backoff, up to
  EMAIL_MAX_ATTEMPTS attempts, then the row is marked failed and logged at ERROR.

The one window that is at least once, not exactly once: the mail server has accepted the
message but the worker dies (or loses the database) before `sent_at` is committed. The
email is then sent again when the claim lapses. No email is ever lost.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxEmail

logger = logging.getLogger(__name__)


def queue_email(*, subject: str, body: str, to: list[str], key: str | None = None) -> OutboxEmail | None:
    """Queue an email for sending after the current transaction commits (right away outside one).

    `key` makes queueing idempotent: if an email with that key was already queued, nothing
    is queued and None is returned. Addresses that are empty are dropped; no address, no email.
    """
    recipients = [address for address in to if address]
    if not recipients:
        return None
    fields = {"subject": " ".join(subject.split())[:255], "body": body, "recipients": recipients}
    if key is None:
        email = OutboxEmail.objects.create(**fields)
    else:
        try:
            with transaction.atomic():  # a savepoint: a duplicate key must not spoil the caller's transaction
                email = OutboxEmail.objects.create(key=key, **fields)
        except IntegrityError:
            if OutboxEmail.objects.filter(key=key).exists():
                return None
            raise
    transaction.on_commit(partial(_enqueue, email.pk))
    return email


def _enqueue(email_id: int) -> None:
    from .tasks import deliver_email

    try:
        deliver_email.delay(email_id)
    except Exception:
        # The broker is down: the row is committed, and the retry sweep will enqueue it.
        logger.exception("Could not enqueue email #%s; the retry sweep will send it", email_id)


def retry_delay(attempts: int) -> int:
    """Seconds before attempt `attempts + 1`: 30 s, doubling, at most half the visibility timeout."""
    ceiling = max(1, min(3600, settings.CELERY_VISIBILITY_TIMEOUT // 2))
    return min(ceiling, 30 * 2 ** max(0, attempts - 1))


@dataclass
class Delivery:
    """What one delivery of a `deliver_email` task did."""

    outcome: str  # sent | duplicate | busy | failed | gave_up
    retry_in: int = 0  # for busy and failed: seconds before trying again


def deliver(email_id: int, *, will_retry: bool) -> Delivery:
    """Send outbox email `email_id` unless it was sent or is being sent; see the module's docstring.

    `will_retry` says whether a failure will be retried by the caller (a worker) or left to
    the sweep (eager mode): it decides only how loudly a failure is logged.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    claimed = (
        OutboxEmail.objects.filter(pk=email_id, sent_at__isnull=True, failed_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    email = OutboxEmail.objects.filter(pk=email_id).first()
    if not claimed:
        if email is None or email.sent_at or email.failed_at:
            logger.info("Email #%s was already sent: duplicate delivery ignored", email_id)
            return Delivery("duplicate")
        retry_in = max(1, int((email.claimed_at + lease - now).total_seconds()) + 1)
        logger.info("Email #%s is being sent by another worker; checking again in %s s", email_id, retry_in)
        return Delivery("busy", retry_in)

    try:
        EmailMessage(email.subject, email.body, None, email.recipients).send()
    except Exception as exc:
        final = email.attempts >= settings.EMAIL_MAX_ATTEMPTS
        retry_in = retry_delay(email.attempts)
        OutboxEmail.objects.filter(pk=email_id).update(
            claimed_at=None,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            next_attempt_at=now + timedelta(seconds=retry_in),
            failed_at=now if final else None,
        )
        level = logging.WARNING if will_retry and not final else logging.ERROR
        logger.log(
            level,
            "Could not send email #%s (%s), attempt %s of %s: %s",
            email_id,
            email.subject,
            email.attempts,
            settings.EMAIL_MAX_ATTEMPTS,
            "given up" if final else "it stays in the outbox and is retried",
            exc_info=True,
        )
        return Delivery("gave_up" if final else "failed", retry_in)

    OutboxEmail.objects.filter(pk=email_id).update(sent_at=timezone.now(), claimed_at=None, last_error="")
    logger.info("Email #%s sent (attempt %s)", email_id, email.attempts)
    return Delivery("sent")


def unsent_email_ids(*, limit: int = 1000) -> list[int]:
    """Emails that should have been sent by now and are not being sent: for the retry sweep.

    Each is pushed back five minutes, so a backlog is not enqueued again at every sweep.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    due = OutboxEmail.objects.filter(
        sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lt=now - timedelta(minutes=1)
    ).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease))
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    OutboxEmail.objects.filter(pk__in=ids).update(next_attempt_at=now + timedelta(minutes=5))
    return ids
