"""Emails about emergencies, queued with the change and sent by a task after it commits.

They go through the project's email outbox (`jobs.outbox.queue_email`), like every email:
written in the same transaction as the record entry that causes them, so a crash cannot
lose one and a failing mail server never undoes the entry (the escalation alert stays on
the record either way).
"""

from django.conf import settings
from django.template.loader import render_to_string

from jobs.outbox import queue_email
from utility_services.emergency import safety_notice


def _queue(template: str, recipients: list[str], context: dict, *, key: str | None = None) -> None:
    queue_email(
        subject=render_to_string(f"emergencies/email/{template}_subject.txt", context),
        body=render_to_string(f"emergencies/email/{template}_body.txt", context),
        to=recipients,
        key=key,
    )


def notify_engineer_of_dispatch(emergency, engineer) -> None:
    """Tell the engineer they are dispatched (the record's location and answers)."""
    _queue("engineer_dispatch", [engineer.email], {"emergency": emergency, "engineer": engineer})


def notify_oncall_of_escalation(emergency, stage: str, message: str) -> None:
    """Alert the on-call dispatcher address (EMERGENCY_ONCALL_EMAIL) that an emergency's clock is slipping.

    Keyed by record and stage: one alert per stage, however often the scan runs.
    """
    _queue(
        "oncall_escalation",
        list(settings.EMERGENCY_ONCALL_EMAIL),
        {"emergency": emergency, "stage": stage, "message": message, "notice": safety_notice()},
        key=f"emergency-escalation:{emergency.pk}:{stage}",
    )
