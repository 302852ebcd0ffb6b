"""Tasks of the service-request app: exports, the periodic SLA escalation, the queue's overdue marks and the
statistics snapshot."""

from celery import shared_task

from . import escalation, exports, reports
from .models import ServiceRequest


@shared_task(acks_late=True)
def build_export(job_id: str) -> str:
    """Build a CSV export; a second delivery of the same job finds it claimed and does nothing."""
    return exports.build(job_id)


@shared_task(acks_late=True)
def restart_stalled_exports() -> int:
    """Enqueue again the exports that were never enqueued or whose worker died."""
    ids = exports.stalled_job_ids()
    for job_id in ids:
        build_export.delay(str(job_id))
    return len(ids)


@shared_task(acks_late=True)
def purge_expired_exports() -> int:
    return exports.purge_expired()


@shared_task(acks_late=True)
def escalate_overdue_requests() -> int:
    """Alert about requests past their due time, once per stage (see escalation.py)."""
    return escalation.escalate_overdue_requests()


@shared_task(acks_late=True)
def mark_overdue_requests() -> int:
    """Move open requests whose due time has passed up the staff queue (`Urgency.OVERDUE`)."""
    return ServiceRequest.objects.mark_overdue()


@shared_task(acks_late=True)
def snapshot_request_stats() -> int:
    """Take the statistics over every request that GET /api/admin/stats/ serves with no filter."""
    return reports.snapshot_every_request_stats()["total"]
