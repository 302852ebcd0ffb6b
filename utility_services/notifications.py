"""Emails about service requests, queued with the change and sent by a task after it commits.

Each email is rendered now, from the state the change left, and written to the outbox
(`jobs.outbox.queue_email`) in the same transaction: a crash after the commit cannot lose
it, a failing mail server is retried and never fails or rolls back the change. Subjects
and bodies are templates under `templates/utility_services/email/`. Customer emails are
only ever given public events; internal notes never reach them.
"""

from django.conf import settings
from django.template.loader import render_to_string

from jobs.outbox import queue_email

from .attributes import describe_answers
from .emergency import safety_notice
from .models import RequestEscalation, RequestEvent, ServiceRequest


def _queue(template: str, recipients: list[str], context: dict, *, key: str | None = None) -> None:
    if not any(recipients):
        return
    queue_email(
        subject=render_to_string(f"utility_services/email/{template}_subject.txt", context),
        body=render_to_string(f"utility_services/email/{template}_body.txt", context),
        to=recipients,
        key=key,
    )


def notify_customer_of_update(service_request: ServiceRequest, event: RequestEvent) -> None:
    """Tell the reporter about a public change (status change, public note)."""
    if event.is_internal:  # defence in depth: callers pass public events only
        return
    _queue(
        "customer_update",
        [service_request.reporter_email],
        {"service_request": service_request, "event": event, "reporter_name": service_request.reporter_name},
    )


def notify_assignee_of_comment(service_request: ServiceRequest, event: RequestEvent) -> None:
    """Tell the assigned agent that the customer added information."""
    assignee = service_request.assignee
    if assignee is None or not (assignee.is_active and assignee.is_staff):
        return  # a deactivated or demoted former agent gets no customer data
    _queue(
        "assignee_comment",
        [service_request.assignee.email],
        {"service_request": service_request, "event": event, "assignee": service_request.assignee},
    )


def notify_oncall_of_emergency(service_request: ServiceRequest) -> None:
    """Alert the on-call staff address of an emergency submission."""
    _queue(
        "oncall_emergency",
        list(settings.EMERGENCY_ONCALL_EMAIL),
        {"service_request": service_request, "notice": safety_notice(), "answers": describe_answers(service_request)},
    )


def notify_escalation(service_request: ServiceRequest, escalation: RequestEscalation, *, template: str) -> None:
    """Alert whoever an escalation names; keyed by request and stage, so it is queued once."""
    _queue(
        template,
        list(escalation.recipients),
        {"service_request": service_request, "escalation": escalation, "stage": escalation.get_stage_display()},
        key=f"escalation:{service_request.pk}:{escalation.stage}",
    )
