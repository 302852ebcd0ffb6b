"""Periodic jobs of the emergencies app (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import escalation


@shared_task(acks_late=True)
def escalate_emergencies() -> int:
    """Alert the on-call dispatcher of emergencies not dispatched or not attended in time (once per stage)."""
    return len(escalation.escalate_emergencies())
