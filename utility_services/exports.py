"""CSV exports of the staff queue built by a task, stored in STORAGES and downloaded when ready."""

import logging
import tempfile
from datetime import timedelta
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from .filters import StaffRequestFilter
from .models import ExportJob, ServiceRequest
from .reports import csv_rows

logger = logging.getLogger(__name__)
# A job still running after this long lost its worker: it may be claimed again.
STALLED_AFTER = timedelta(minutes=30)


def filtered_queue(query: str, user):
    """The staff queue filtered by `query` (a query string), as `user` would see it listed."""
    filterset = StaffRequestFilter(
        data=QueryDict(query), queryset=ServiceRequest.objects.for_staff(), request=SimpleNamespace(user=user)
    )
    if not filterset.is_valid():
        raise ValidationError(filterset.errors.get_json_data())
    return filterset.qs


def build(job_id) -> str:
    """Build export `job_id` unless another delivery of the task did or is doing it; return what happened."""
    now = timezone.now()
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ExportJob.Status.PENDING) | Q(status=ExportJob.Status.RUNNING, started_at__lt=now - STALLED_AFTER)
        )
        .update(status=ExportJob.Status.RUNNING, started_at=now)
    )
    if not claimed:
        return "duplicate"
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        queryset = filtered_queue(job.query, job.requested_by)
        rows = -1  # the header
        with tempfile.TemporaryFile() as spool:
            for line in csv_rows(queryset):
                spool.write(line.encode())
                rows += 1
            spool.seek(0)
            job.file.save(f"{job.pk}.csv", File(spool), save=False)
    except Exception as exc:
        logger.exception("Export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=f"{type(exc).__name__}"[:300], finished_at=timezone.now()
        )
        return "failed"
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.READY, file=job.file.name, row_count=rows, finished_at=timezone.now()
    )
    return "ready"


def stalled_job_ids() -> list:
    """Jobs that should be running and are not: never enqueued (broker down) or their worker died."""
    now = timezone.now()
    stalled = ExportJob.objects.filter(
        Q(status=ExportJob.Status.PENDING, created_at__lt=now - timedelta(minutes=5))
        | Q(status=ExportJob.Status.RUNNING, started_at__lt=now - STALLED_AFTER)
    )
    return list(stalled.values_list("pk", flat=True)[:100])


def purge_expired() -> int:
    """Delete expired exports and their files."""
    expired = list(ExportJob.objects.filter(expires_at__lt=timezone.now())[:1000])
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return len(expired)
