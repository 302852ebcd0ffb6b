"""SLA escalation, a periodic job: open requests past their due time alert someone, once per stage.

Stage "overdue" (at the due time) alerts the assignee, or the queue owner (SLA_QUEUE_OWNER_EMAIL)
when nobody is assigned; stage "overdue_long" (SLA_SECOND_STAGE_HOURS later) alerts both. Each
stage is recorded as a `RequestEscalation` row, unique per request and stage, so a stage is never
alerted twice, whatever the number of runs or workers. Another escalation (an emergency not
attended in time, say) is one more scan like `escalate_overdue_requests` calling
`services.service_request_escalate` with its own stage, and one more line in CELERY_BEAT_SCHEDULE.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import services
from .models import RequestEscalation, ServiceRequest

Stage = RequestEscalation.Stage


def overdue_stages() -> list[tuple[str, timedelta]]:
    """Each stage and how long after the due time it is reached."""
    return [(Stage.OVERDUE, timedelta(0)), (Stage.OVERDUE_LONG, timedelta(hours=settings.SLA_SECOND_STAGE_HOURS))]


def escalate_overdue_requests(now=None) -> int:
    """Escalate every open request that reached a stage it has not been escalated at; return how many.

    At most SLA_ESCALATION_BATCH per stage and run, oldest due first; the next run goes on.
    """
    now = now or timezone.now()
    escalated = 0
    for stage, delay in overdue_stages():
        candidates = (
            ServiceRequest.objects.overdue(now - delay)
            .exclude(escalations__stage=stage)
            .select_related("request_type", "customer", "assignee")
            .order_by("due_at", "id")[: settings.SLA_ESCALATION_BATCH]
        )
        for service_request in candidates:
            escalation = services.service_request_escalate(
                service_request=service_request,
                stage=stage,
                recipients=services.escalation_recipients(service_request, stage),
            )
            escalated += escalation is not None
    return escalated
