"""Emails about emergencies, sent after the transaction commits (as `utility_services.notifications`).

A failing mail server is logged, never raised: it must not undo the entry that triggered
the email (the escalation alert stays on the record either way).
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from utility_services.emergency import safety_notice

logger = logging.getLogger(__name__)


def _send_after_commit(template: str, recipients: list[str], context: dict) -> None:
    recipients = [address for address in recipients if address]
    if not recipients:
        return
    reference = context["emergency"].reference

    def send():
        try:
            subject = render_to_string(f"emergencies/email/{template}_subject.txt", context)
            body = render_to_string(f"emergencies/email/{template}_body.txt", context)
            send_mail(" ".join(subject.split()), body, None, recipients)
        except Exception:
            logger.exception("Could not send the %s email for %s", template, reference)

    transaction.on_commit(send)


def notify_engineer_of_dispatch(emergency, engineer) -> None:
    """Tell the engineer they are dispatched (the record's location and answers)."""
    _send_after_commit("engineer_dispatch", [engineer.email], {"emergency": emergency, "engineer": engineer})


def notify_oncall_of_escalation(emergency, stage: str, message: str) -> None:
    """Alert the on-call dispatcher address (EMERGENCY_ONCALL_EMAIL) that an emergency's clock is slipping."""
    _send_after_commit(
        "oncall_escalation",
        list(settings.EMERGENCY_ONCALL_EMAIL),
        {"emergency": emergency, "stage": stage, "message": message, "notice": safety_notice()},
    )
