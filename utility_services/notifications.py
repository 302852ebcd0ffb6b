"""Emails about service requests, sent after the transaction commits.

A failing mail server is logged, never raised: it must not fail or roll back the
change that triggered the email. Subjects and bodies are templates under
`templates/utility_services/email/`. Customer emails are only ever given public
events; internal notes never reach them.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from .attributes import describe_answers
from .emergency import safety_notice
from .models import RequestEvent, ServiceRequest

logger = logging.getLogger(__name__)


def _send_after_commit(template: str, recipients: list[str], context: dict) -> None:
    recipients = [address for address in recipients if address]
    if not recipients:
        return
    reference = context["service_request"].reference

    def send():
        try:
            subject = render_to_string(f"utility_services/email/{template}_subject.txt", context)
            body = render_to_string(f"utility_services/email/{template}_body.txt", context)
            send_mail(" ".join(subject.split()), body, None, recipients)
        except Exception:
            logger.exception("Could not send the %s email for %s", template, reference)

    transaction.on_commit(send)


def notify_customer_of_update(service_request: ServiceRequest, event: RequestEvent) -> None:
    """Tell the reporter about a public change (status change, public note)."""
    if event.is_internal:  # defence in depth: callers pass public events only
        return
    _send_after_commit(
        "customer_update",
        [service_request.reporter_email],
        {"service_request": service_request, "event": event, "reporter_name": service_request.reporter_name},
    )


def notify_assignee_of_comment(service_request: ServiceRequest, event: RequestEvent) -> None:
    """Tell the assigned agent that the customer added information."""
    assignee = service_request.assignee
    if assignee is None or not (assignee.is_active and assignee.is_staff):
        return  # a deactivated or demoted former agent gets no customer data
    _send_after_commit(
        "assignee_comment",
        [service_request.assignee.email],
        {"service_request": service_request, "event": event, "assignee": service_request.assignee},
    )


def notify_oncall_of_emergency(service_request: ServiceRequest) -> None:
    """Alert the on-call staff address of an emergency submission."""
    _send_after_commit(
        "oncall_emergency",
        list(settings.EMERGENCY_ONCALL_EMAIL),
        {"service_request": service_request, "notice": safety_notice(), "answers": describe_answers(service_request)},
    )
