"""Escalation on the clock: alert the on-call dispatcher when an emergency's response slips.

Two stages, each alerted at most once per record:

- ``not_dispatched``: no engineer dispatched (or arrived) ``EMERGENCY_DISPATCH_ALERT_MINUTES``
  after receipt;
- ``not_attended``: nobody arrived by ``EMERGENCY_ATTEND_ALERT_MINUTES`` before the board's
  deadline (``deadline_at``: 1 or 2 hours, 1 hour when vulnerable), or later.

Each alert is an ``escalation`` entry on the record (``once_key`` ``escalation:<stage>``,
unique with the record, so overlapping runs cannot alert twice) and an email to
``EMERGENCY_ONCALL_EMAIL`` sent after commit. Run it every minute: ``manage.py
escalate_emergencies`` (cron), or as a periodic job that calls `escalate_emergencies()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import notifications, services
from .models import Emergency

NOT_DISPATCHED = "not_dispatched"
NOT_ATTENDED = "not_attended"
STAGES = (NOT_DISPATCHED, NOT_ATTENDED)


@dataclass(frozen=True)
class Alert:
    reference: str
    stage: str
    message: str


def _dispatch_delay() -> timedelta:
    return timedelta(minutes=settings.EMERGENCY_DISPATCH_ALERT_MINUTES)


def _attend_window() -> timedelta:
    return timedelta(minutes=settings.EMERGENCY_ATTEND_ALERT_MINUTES)


def _is_due(emergency: Emergency, stage: str, now: datetime) -> bool:
    if not emergency.is_open or emergency.arrived_at is not None:
        return False
    if stage == NOT_DISPATCHED:
        return emergency.dispatched_at is None and emergency.received_at <= now - _dispatch_delay()
    return emergency.deadline_at <= now + _attend_window()


def due(now: datetime) -> list[tuple[int, str]]:
    """(record id, stage) of every alert due at `now` and not yet sent (two indexed queries)."""
    unattended = Emergency.objects.open().filter(arrived_at__isnull=True)
    not_dispatched = (
        unattended.filter(dispatched_at__isnull=True, received_at__lte=now - _dispatch_delay())
        .exclude(events__once_key=f"escalation:{NOT_DISPATCHED}")
        .values_list("pk", flat=True)
    )
    not_attended = (
        unattended.filter(deadline_at__lte=now + _attend_window())
        .exclude(events__once_key=f"escalation:{NOT_ATTENDED}")
        .values_list("pk", flat=True)
    )
    alerts = [(pk, NOT_DISPATCHED) for pk in not_dispatched] + [(pk, NOT_ATTENDED) for pk in not_attended]
    return sorted(alerts, key=lambda alert: (alert[0], STAGES.index(alert[1])))


def _message(emergency: Emergency, stage: str, now: datetime) -> str:
    if stage == NOT_DISPATCHED:
        minutes = int((now - emergency.received_at).total_seconds() // 60)
        return f"no engineer dispatched {minutes} minutes after the report"
    left = int((emergency.deadline_at - now).total_seconds() // 60)
    if left < 0:
        return f"not attended and {-left} minutes past its deadline"
    return f"not attended, {left} minutes before its deadline"


def escalate_emergencies(now: datetime | None = None) -> list[Alert]:
    """Send every alert due at `now` (default: the current time); return what was sent."""
    now = now or timezone.now()
    sent = []
    for pk, stage in due(now):
        try:
            with transaction.atomic():
                emergency = Emergency.objects.select_for_update().get(pk=pk)
                already = emergency.events.filter(once_key=f"escalation:{stage}").exists()
                if already or not _is_due(emergency, stage, now):
                    continue
                message = _message(emergency, stage, now)
                services.emergency_alert(emergency=emergency, stage=stage, now=now, message=message)
                notifications.notify_oncall_of_escalation(emergency, stage, message)
        except IntegrityError:
            continue  # an overlapping run recorded this alert first
        sent.append(Alert(emergency.reference, stage, message))
    return sent
