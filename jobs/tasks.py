"""Tasks of the job queue's own: sending outbox emails, the retry sweep and housekeeping."""

import logging

from celery import shared_task

from . import housekeeping, outbox

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_email(self, email_id: int) -> str:
    """Send one outbox email, once, whatever the number of times this task is delivered."""
    eager = bool(self.request.is_eager)
    delivery = outbox.deliver(email_id, will_retry=not eager)
    if delivery.outcome in ("busy", "failed") and not eager:
        # Eagerly (no worker) a failed email waits for the retry sweep instead of blocking the request.
        raise self.retry(countdown=delivery.retry_in)
    return delivery.outcome


@shared_task(acks_late=True)
def retry_unsent_emails() -> int:
    """Enqueue again every email left unsent (lost between commit and enqueue, or its worker died)."""
    ids = outbox.unsent_email_ids()
    for email_id in ids:
        deliver_email.delay(email_id)
    if ids:
        logger.info("Re-enqueued %s unsent emails", len(ids))
    return len(ids)


@shared_task(acks_late=True)
def purge_expired_records() -> dict:
    """Delete what has outlived its use: idempotency keys, lockout records, sessions, old emails."""
    return housekeeping.purge_expired()
