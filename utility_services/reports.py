"""Read-only reports over service requests: queue statistics and the CSV export."""

import csv
import json
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.utils import timezone

from .models import Priority, RequestType, ServiceRequest

CSV_COLUMNS = [
    "reference",
    "id",
    "type_of_request",
    "status",
    "priority",
    "is_overdue",
    "customer_id",
    "customer_name",
    "customer_email",
    "assignee",
    "submitted_at",
    "updated_at",
    "due_at",
    "resolved_at",
    "details",
    "resolution_details",
    "channel",
    "contact_phone",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "attributes",
]


def request_stats(queryset) -> dict:
    """Counts by status, type and priority, the overdue count and the median time to resolve.

    Computed now, so the cost grows with the rows selected: the median sorts every resolved one.
    Over every request, `every_request_stats()` serves the periodic job's snapshot instead.
    """
    as_of = timezone.now()
    by_status = dict.fromkeys(ServiceRequest.Status.values, 0)
    by_status.update(dict(queryset.order_by().values_list("status").annotate(n=Count("id"))))
    type_names = dict(RequestType.objects.values_list("id", "name"))
    by_type = {
        type_names[type_id]: n for type_id, n in queryset.order_by().values_list("request_type").annotate(n=Count("id"))
    }
    by_priority = dict.fromkeys(Priority.labels, 0)
    for value, n in queryset.order_by().values_list("priority").annotate(n=Count("id")):
        by_priority[Priority(value).label] = n

    resolved = queryset.filter(resolved_at__isnull=False)
    resolved_count = resolved.count()
    median_hours = None
    if resolved_count:
        duration = ExpressionWrapper(F("resolved_at") - F("submitted_at"), output_field=DurationField())
        ordered = resolved.annotate(duration=duration).order_by("duration").values_list("duration", flat=True)
        middle = resolved_count // 2
        if resolved_count % 2:
            median = ordered[middle]
        else:
            low, high = ordered[middle - 1 : middle + 1]
            median = (low + high) / 2
        median_hours = round(median.total_seconds() / 3600, 2)

    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_type": by_type,
        "by_priority": by_priority,
        "overdue": queryset.overdue(as_of).count(),
        "resolved": resolved_count,
        "median_hours_to_resolve": median_hours,
        "as_of": as_of,
    }


# Where the snapshot of the statistics over every request is kept: the shared cache (Redis when
# REDIS_URL is set), so every app node serves the one the periodic job took.
EVERY_REQUEST_STATS_KEY = "utility_services:stats:every-request"


def every_request_stats() -> dict:
    """The statistics over every request: the periodic job's snapshot while it is fresh, else computed now.

    Unfiltered, the statistics read every row and sort every resolved request: seconds at a
    million requests, on the dashboard's default view. The job `snapshot_request_stats` takes
    them once a minute (CELERY_BEAT_SCHEDULE); a snapshot older than STATS_SNAPSHOT_MAX_AGE
    has expired, so without a beat process (the zero-setup serve) they are computed on each call.
    `as_of` says when they were taken.
    """
    return cache.get(EVERY_REQUEST_STATS_KEY) or request_stats(ServiceRequest.objects.all())


def snapshot_every_request_stats() -> dict:
    """Compute the statistics over every request and keep them for `every_request_stats()`."""
    stats = request_stats(ServiceRequest.objects.all())
    cache.set(EVERY_REQUEST_STATS_KEY, stats, timeout=settings.STATS_SNAPSHOT_MAX_AGE.total_seconds())
    return stats


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value):
        return value


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a cell must never start with = + - @."""
    if isinstance(value, int | float):
        return str(value)  # a number (a negative longitude, say) is data, never a formula
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _in_chunks(queryset, size: int) -> Iterator:
    """The rows of `queryset` by ascending id, `size` at a time (keyset pagination).

    Memory stays bounded at a million rows on every database: MySQL's driver would buffer the
    whole result of a single query, even with `.iterator()`.
    """
    queryset = queryset.select_related("request_type", "customer", "assignee").order_by("pk")
    last = None
    while True:
        chunk = list((queryset if last is None else queryset.filter(pk__gt=last))[:size])
        yield from chunk
        if len(chunk) < size:
            return
        last = chunk[-1].pk


def csv_rows(queryset, *, chunk_size: int = 2000) -> Iterator[str]:
    """Yield the CSV export of `queryset`, header first, in id order, reading `chunk_size` rows at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    now = timezone.now()
    for request in _in_chunks(queryset, chunk_size):
        yield writer.writerow(
            [
                _csv_safe(value)
                for value in (
                    request.reference,
                    request.pk,
                    request.request_type.name,
                    request.status,
                    request.get_priority_display(),
                    request.is_open and request.due_at < now,
                    request.customer.customer_id if request.customer else "",
                    request.reporter_name,
                    request.reporter_email,
                    request.assignee.name if request.assignee else "",
                    request.submitted_at.isoformat(),
                    request.updated_at.isoformat(),
                    request.due_at.isoformat(),
                    request.resolved_at.isoformat() if request.resolved_at else "",
                    request.details,
                    request.resolution_details,
                    request.channel,
                    request.reporter_phone,
                    request.address,
                    request.postcode,
                    "" if request.latitude is None else request.latitude,
                    "" if request.longitude is None else request.longitude,
                    json.dumps(request.attributes, ensure_ascii=False) if request.attributes else "",
                )
            ]
        )
