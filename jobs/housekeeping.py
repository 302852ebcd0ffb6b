"""Periodic clean-up of records that only matter for a while."""

from datetime import timedelta
from importlib import import_module

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import IdempotencyKey

from .models import OutboxEmail

BATCH = 5000


def delete_in_batches(queryset: QuerySet, *, limit: int = 100 * BATCH) -> int:
    """Delete the rows of `queryset` a batch at a time (short transactions), at most `limit`."""
    deleted = 0
    while deleted < limit:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        queryset.model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted


def purge_expired() -> dict:
    """Purge expired idempotency keys, lockout records, sessions and old outbox emails; return counts."""
    now = timezone.now()
    cool_off = now - settings.AXES_COOLOFF_TIME
    emails_before = now - timedelta(days=settings.EMAIL_OUTBOX_RETENTION_DAYS)
    counts = {
        "idempotency_keys": delete_in_batches(
            IdempotencyKey.objects.filter(
                created_at__lt=now - timedelta(hours=settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
            )
        ),
        # A failure older than the cool-off no longer counts towards a lockout.
        "access_attempts": delete_in_batches(AccessAttempt.objects.filter(attempt_time__lt=cool_off)),
        "access_failure_logs": delete_in_batches(AccessFailureLog.objects.filter(attempt_time__lt=cool_off)),
        "outbox_emails": delete_in_batches(
            OutboxEmail.objects.filter(Q(sent_at__lt=emails_before) | Q(failed_at__lt=emails_before))
        ),
    }
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return counts
