"""The emergency reports: standard of service, daily log, monthly summary, review and make-safe.

One function computes each report from the records' summary columns (their effective times,
corrections applied: see `emergencies.models`). The API's JSON and CSV and the staff pages all
call these functions; none of them computes a figure itself.

- **Periods** are local (`emergencies.local_time`): a day runs from local midnight to local
  midnight (23 or 25 hours across a daylight-saving change), a month is its local days, a
  year starts in ``EMERGENCY_REPORT_YEAR_START_MONTH``. A record belongs to the period its
  effective receipt time falls in.
- **Stood-down records** (staff reclassified the request as not an emergency) are left out of
  the performance figures (standard of service, response-time summary, make-safe) and counted
  apart as ``stood_down``; the daily log and the review check keep them, because those rules
  cover every report received and every record.
- **Standard of service** (Ofgem): attended in time means arrived by ``standard_deadline_at``
  (received + 1 h uncontrolled, + 2 h controlled, deadline inclusive), the classification being
  the record's final one. A miss is an arrival after it, or no arrival once it has passed; a
  record not yet attended whose deadline is still ahead is *pending* and not yet counted. The
  percentage is attended in time over (in time + late + not attended).
- **Response-time bands** (NY 255.825 / 420.13 shape): minutes from receipt to the first arrival,
  each band's upper limit inclusive (exactly 15:00 is 0-15, 15:01 is 16-30); records never
  attended are counted apart, not in a band, the median or the mean. Calls are split by the
  local time they were received: weekday business hours, weekday after hours, weekends and
  public holidays.
- **Review** (Texas 8.205): due by 10:00 local time on the first business day after the local
  day of receipt; a review entered at 10:00:00 is in time. **Make safe** (GS(M)R reg. 7): made
  safe by ``make_safe_deadline_at`` (received + 12 h, inclusive).
"""

from __future__ import annotations

import csv
import re
import statistics
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q

from utility_services.reports import _csv_safe as csv_safe

from . import local_time
from .models import STANDARD_HOURS, Classification, Emergency, EmergencyEvent, MissedDeadline, Stage

TARGET_PERCENT = 97
REVIEW_BY = time(10, 0)
CLASSES = (Classification.UNCONTROLLED, Classification.CONTROLLED)
# (key, label, inclusive upper limit in minutes; None: no limit)
BANDS = (
    ("minutes_0_15", "0-15 min", 15),
    ("minutes_16_30", "16-30 min", 30),
    ("minutes_31_45", "31-45 min", 45),
    ("minutes_46_60", "46-60 min", 60),
    ("over_60", "over 60 min", None),
)
YEAR = r"(19[7-9]\d|2\d{3})"
MONTH = r"(0[1-9]|1[0-2])"
PATTERNS = {
    "date": rf"{YEAR}-{MONTH}-(0[1-9]|[12]\d|3[01])",
    "month": rf"{YEAR}-{MONTH}",
    "year": YEAR,
}
EXAMPLES = {"date": "YYYY-MM-DD, e.g. 2024-03-31", "month": "YYYY-MM, e.g. 2024-03", "year": "YYYY, e.g. 2024"}


# --- Periods ---------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A local day, month or reporting year: from local midnight of `first` to local midnight of `end`."""

    kind: str
    first: date
    end: date

    @classmethod
    def day(cls, day: date) -> Period:
        return cls("date", day, day + timedelta(days=1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls("month", first, _add_months(first, 1))

    @classmethod
    def year(cls, year: int) -> Period:
        """The reporting year that starts in `year` (in ``EMERGENCY_REPORT_YEAR_START_MONTH``)."""
        first = date(year, settings.EMERGENCY_REPORT_YEAR_START_MONTH, 1)
        return cls("year", first, _add_months(first, 12))

    @classmethod
    def year_of(cls, day: date) -> Period:
        """The reporting year `day` falls in."""
        start_month = settings.EMERGENCY_REPORT_YEAR_START_MONTH
        return cls.year(day.year if day.month >= start_month else day.year - 1)

    @property
    def start(self) -> datetime:
        return local_time.start_of_day(self.first)

    @property
    def stop(self) -> datetime:
        return local_time.start_of_day(self.end)

    @property
    def hours(self) -> float:
        # Subtract in UTC: Python ignores the offsets of two times in the same zone.
        return (self.stop.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds() / 3600

    @property
    def key(self) -> str:
        if self.kind == "date":
            return self.first.isoformat()
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        return str(self.first.year)

    @property
    def label(self) -> str:
        if self.kind == "date":
            return f"{self.first:%A} {self.first.day} {self.first:%B %Y}"
        if self.kind == "month":
            return f"{self.first:%B %Y}"
        if self.first.month == 1:
            return str(self.first.year)
        last = self.end - timedelta(days=1)
        return f"{self.first:%B %Y} to {last:%B %Y}"

    def months(self) -> list[Period]:
        found, first = [], self.first
        while first < self.end:
            found.append(Period.month(first.year, first.month))
            first = _add_months(first, 1)
        return found

    def days(self) -> list[Period]:
        return [Period.day(self.first + timedelta(days=n)) for n in range((self.end - self.first).days)]

    def shifted(self, steps: int) -> Period:
        """The period `steps` days, months or years later (earlier when negative)."""
        if self.kind == "date":
            return Period.day(self.first + timedelta(days=steps))
        if self.kind == "month":
            first = _add_months(self.first, steps)
            return Period.month(first.year, first.month)
        return Period.year(self.first.year + steps)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "key": self.key,
            "label": self.label,
            "time_zone": settings.UTILITY_TIME_ZONE,
            "start": self.start,
            "end": self.stop,
            "hours": self.hours,
        }


def _values(query: Mapping, kind: str) -> list:
    """Every value given for `kind`: none, one, or (a repeated parameter) several."""
    if kind not in query:
        return [""]
    return query.getlist(kind) if hasattr(query, "getlist") else [query[kind]]


def period_from_query(query: Mapping, kinds: tuple[str, ...]) -> Period:
    """The period a report's query string asks for: exactly one of `kinds` (date, month, year).

    Raises ValidationError naming the parameter: unknown or repeated parameters, none or
    several periods, a malformed value or an impossible date.
    """
    unknown = sorted(set(query) - set(kinds))
    allowed = " or ".join(f"{kind}={EXAMPLES[kind].split(',')[0]}" for kind in kinds)
    if unknown:
        raise ValidationError({name: [f"Unknown parameter: this report takes {allowed}."] for name in unknown})
    # An empty value is no value (`?date=2024-03-31&month=`, as a form sends an unused field).
    given = [kind for kind in kinds if _values(query, kind) != [""]]
    if len(given) != 1:
        raise ValidationError({"non_field_errors": [f"Give exactly one period: {allowed}."]})
    kind = given[0]
    values = _values(query, kind)
    if len(values) != 1:
        raise ValidationError({kind: ["Give this parameter once."]})
    value = values[0]
    if not isinstance(value, str) or not re.fullmatch(PATTERNS[kind], value):
        raise ValidationError({kind: [f"Use {EXAMPLES[kind]} (years 1970 to 2999)."]})
    if kind == "year":
        return Period.year(int(value))
    if kind == "month":
        return Period.month(int(value[:4]), int(value[5:]))
    try:
        return Period.day(date.fromisoformat(value))
    except ValueError:
        raise ValidationError({"date": [f"{value} is not a date in the calendar."]}) from None


# --- Shared pieces ---------------------------------------------------------------------


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    """Minutes from `start` to `end` (UTC arithmetic), one decimal; None when either is missing."""
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 1)


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else local_time.local(moment)


def _reasons(emergency: Emergency, deadline: str) -> list[dict]:
    return [
        {"reason": event.reason, "recorded_at": _local(event.recorded_at), "by": event.actor_name}
        for event in emergency.miss_reasons
        if event.data.get("deadline") == deadline
    ]


def _with_reasons(queryset):
    reasons = EmergencyEvent.objects.filter(kind=EmergencyEvent.Kind.MISS_REASON).order_by("recorded_at", "id")
    return queryset.prefetch_related(Prefetch("events", queryset=reasons, to_attr="miss_reasons"))


def _records(period: Period):
    return Emergency.objects.received_between(period.start, period.stop)


def _counted(period: Period):
    """The records of the performance figures: stood-down ones left out."""
    return _records(period).exclude(stage=Stage.STOOD_DOWN)


def _stood_down(period: Period) -> int:
    return _records(period).filter(stage=Stage.STOOD_DOWN).count()


def _type_name(emergency: Emergency) -> str:
    return emergency.service_request.request_type.name


# --- Standard of service (Ofgem) -----------------------------------------------------------


def _outcomes(now: datetime) -> dict[str, Q]:
    """The four exclusive outcomes against the standard deadline (same rule as `attended_within_standard`)."""
    return {
        "attended_in_time": Q(arrived_at__isnull=False, arrived_at__lte=F("standard_deadline_at")),
        "attended_late": Q(arrived_at__gt=F("standard_deadline_at")),
        "not_attended": Q(arrived_at__isnull=True, standard_deadline_at__lt=now),
        "pending": Q(arrived_at__isnull=True, standard_deadline_at__gte=now),
    }


def _figures(counts: dict) -> dict:
    decided = counts["attended_in_time"] + counts["attended_late"] + counts["not_attended"]
    return {
        "received": decided + counts["pending"],
        **counts,
        "counted": decided,
        "missed": counts["attended_late"] + counts["not_attended"],
        "percent_in_time": round(100 * counts["attended_in_time"] / decided, 2) if decided else None,
        # Integers, not the rounded percentage: 96.995% must not pass as 97%.
        "meets_target": counts["attended_in_time"] * 100 >= TARGET_PERCENT * decided if decided else None,
    }


def standard_of_service(period: Period, *, now: datetime) -> dict:
    """Ofgem's standard: per month of `period` and in total, per class, attended within 1 h / 2 h; the misses."""
    months = period.months()
    outcomes = _outcomes(now)
    aggregates = {}
    for index, month in enumerate(months):
        in_month = Q(received_at__gte=month.start, received_at__lt=month.stop)
        for name, condition in outcomes.items():
            aggregates[f"{name}_{index}"] = Count("pk", filter=in_month & condition)
    grouped = {
        row["classification"]: row
        for row in _counted(period).order_by().values("classification").annotate(**aggregates)
    }

    def counts(classification: str, indexes) -> dict:
        row = grouped.get(classification, {})
        return {name: sum(row.get(f"{name}_{index}", 0) for index in indexes) for name in outcomes}

    every = range(len(months))
    misses = (
        _with_reasons(_counted(period))
        .filter(outcomes["attended_late"] | outcomes["not_attended"])
        .select_related("service_request__request_type")
        .order_by("received_at", "id")
    )
    return {
        "report": "standard_of_service",
        "period": period.as_dict(),
        "generated_at": _local(now),
        "target_percent": TARGET_PERCENT,
        "standard_hours": {str(c): STANDARD_HOURS[c] for c in CLASSES},
        "totals": {str(c): _figures(counts(c, every)) for c in CLASSES},
        "months": [
            {"period": month.as_dict(), **{str(c): _figures(counts(c, [index])) for c in CLASSES}}
            for index, month in enumerate(months)
        ],
        "misses": [_miss(emergency) for emergency in misses],
        "stood_down": _stood_down(period),
    }


def _miss(emergency: Emergency) -> dict:
    return {
        "emergency_id": emergency.pk,
        "request_id": emergency.service_request_id,
        "reference": emergency.reference,
        "type_of_request": _type_name(emergency),
        "classification": emergency.classification,
        "is_vulnerable": emergency.is_vulnerable,
        "received_at": _local(emergency.received_at),
        "standard_deadline_at": _local(emergency.standard_deadline_at),
        "dispatched_at": _local(emergency.dispatched_at),
        "arrived_at": _local(emergency.arrived_at),
        "outcome": "attended_late" if emergency.arrived_at else "not_attended",
        "minutes_to_dispatch": _minutes(emergency.received_at, emergency.dispatched_at),
        "response_minutes": _minutes(emergency.received_at, emergency.arrived_at),
        "minutes_late": _minutes(emergency.standard_deadline_at, emergency.arrived_at),
        "reasons": _reasons(emergency, MissedDeadline.ATTENDANCE),
    }


# --- Daily log (NY 255.825) ----------------------------------------------------------------


def daily_log(period: Period, *, now: datetime) -> dict:
    """Every report received on a local day (stood-down ones too, marked), with its first times."""
    corrected = EmergencyEvent.objects.filter(emergency=OuterRef("pk"), kind=EmergencyEvent.Kind.CORRECTION)
    records = (
        _records(period)
        .select_related("service_request__request_type", "engineer")
        .annotate(times_corrected=Exists(corrected))
        .order_by("received_at", "id")
    )
    entries = [
        {
            "emergency_id": emergency.pk,
            "request_id": emergency.service_request_id,
            "reference": emergency.reference,
            "location": location_text(emergency),
            "address": emergency.address,
            "postcode": emergency.postcode,
            "latitude": emergency.latitude,
            "longitude": emergency.longitude,
            "location_details": emergency.location_details,
            "type_of_request": _type_name(emergency),
            "classification": emergency.classification,
            "channel": emergency.channel,
            "stage": emergency.stage,
            "received_at": _local(emergency.received_at),
            "dispatched_at": _local(emergency.dispatched_at),
            "arrived_at": _local(emergency.arrived_at),
            "made_safe_at": _local(emergency.made_safe_at),
            "closed_at": _local(emergency.closed_at),
            "response_minutes": _minutes(emergency.received_at, emergency.arrived_at),
            "engineer": (emergency.engineer.name or emergency.engineer.username) if emergency.engineer else "",
            "times_corrected": emergency.times_corrected,
        }
        for emergency in records
    ]
    return {
        "report": "daily_log",
        "period": period.as_dict(),
        "generated_at": _local(now),
        "count": len(entries),
        "entries": entries,
    }


def location_text(emergency: Emergency) -> str:
    """Where, in one line: the address and postcode, the position, the reporter's words."""
    parts = [", ".join(part for part in (emergency.address, emergency.postcode) if part)]
    if emergency.latitude is not None:
        parts.append(f"{emergency.latitude:.5f}, {emergency.longitude:.5f}")
    if emergency.location_details:
        parts.append(emergency.location_details)
    return " · ".join(part for part in parts if part)


# --- Monthly summary of response times (NY 255.825, in the shape of 420.13) ------------------


def band_of(seconds: float) -> str:
    """The band of a response time: each upper limit inclusive (15:00 is 0-15, 15:01 is 16-30)."""
    for key, _label, limit in BANDS:
        if limit is None or seconds <= limit * 60:
            return key
    raise AssertionError("the last band has no limit")


def _band_row(category: str, label: str, responses: list[float], not_attended: int) -> dict:
    counts = dict.fromkeys((key for key, _label, _limit in BANDS), 0)
    for seconds in responses:
        counts[band_of(seconds)] += 1
    minutes = [seconds / 60 for seconds in responses]
    return {
        "category": category,
        "label": label,
        **counts,
        "attended": len(responses),
        "not_attended": not_attended,
        "total": len(responses) + not_attended,
        "median_minutes": round(statistics.median(minutes), 1) if minutes else None,
        "mean_minutes": round(statistics.fmean(minutes), 1) if minutes else None,
    }


def monthly_summary(period: Period, *, now: datetime) -> dict:
    """Counts by response-time band, split by when the call came in; the median and mean response."""
    responses: dict[str, list[float]] = {category: [] for category, _label in local_time.TimeCategory.CHOICES}
    not_attended = dict.fromkeys(responses, 0)
    for received_at, arrived_at in _counted(period).order_by().values_list("received_at", "arrived_at"):
        category = local_time.time_category(received_at)
        if arrived_at is None:
            not_attended[category] += 1
        else:
            # A receipt corrected to after the arrival would be negative: it counts as 0.
            responses[category].append(max(0.0, (arrived_at - received_at).total_seconds()))
    rows = [
        _band_row(category, label, responses[category], not_attended[category])
        for category, label in local_time.TimeCategory.CHOICES
    ]
    everything = [seconds for category in responses for seconds in responses[category]]
    opens, closes = local_time.business_hours()
    return {
        "report": "monthly_summary",
        "period": period.as_dict(),
        "generated_at": _local(now),
        "bands": [{"key": key, "label": label, "up_to_minutes": limit} for key, label, limit in BANDS],
        "business_hours": {
            "start": opens.strftime("%H:%M"),
            "end": closes.strftime("%H:%M"),
            "days": "Monday to Friday, except public holidays",
        },
        "holiday_region": "-".join(
            part for part in (settings.UTILITY_HOLIDAY_COUNTRY, settings.UTILITY_HOLIDAY_SUBDIVISION) if part
        ),
        "holidays": [
            {"date": day, "name": name} for day, name in local_time.holidays_between(period.first, period.end)
        ],
        "rows": rows,
        "all": _band_row("all", "All calls", everything, sum(not_attended.values())),
        "stood_down": _stood_down(period),
    }


# --- Review and make-safe (Texas 8.205, GS(M)R reg. 7) -------------------------------------


def review_due(received_at: datetime) -> datetime:
    """10:00 local time on the first business day after the local day of receipt."""
    day = local_time.local(received_at).date()
    return local_time.at(local_time.next_business_day(day), REVIEW_BY)


def review_and_make_safe(period: Period, *, now: datetime) -> dict:
    """Records not reviewed by 10:00 the next business day, and escapes not made safe within 12 hours."""
    review_counts = dict.fromkeys(("reviewed_in_time", "reviewed_late", "not_reviewed", "pending"), 0)
    not_reviewed = []
    records = _records(period).order_by("received_at", "id")
    for emergency in records.only("id", "service_request_id", "reference", "received_at", "reviewed_at", "stage"):
        due = review_due(emergency.received_at)
        if emergency.reviewed_at is None:
            outcome = "not_reviewed" if due < now else "pending"
        else:
            outcome = "reviewed_in_time" if emergency.reviewed_at <= due else "reviewed_late"
        review_counts[outcome] += 1
        if outcome in ("not_reviewed", "reviewed_late"):
            not_reviewed.append(
                {
                    "emergency_id": emergency.pk,
                    "request_id": emergency.service_request_id,
                    "reference": emergency.reference,
                    "stage": emergency.stage,
                    "received_at": _local(emergency.received_at),
                    "review_due_at": due,
                    "reviewed_at": _local(emergency.reviewed_at),
                    "outcome": outcome,
                    "hours_late": round(
                        ((emergency.reviewed_at or now) - due.astimezone(UTC)).total_seconds() / 3600, 1
                    ),
                }
            )
    made_safe_late = Q(made_safe_at__gt=F("make_safe_deadline_at"))
    not_made_safe = Q(made_safe_at__isnull=True, make_safe_deadline_at__lt=now)
    counted = _counted(period)
    make_safe_counts = counted.aggregate(
        escapes=Count("pk"),
        made_safe_in_time=Count("pk", filter=Q(made_safe_at__lte=F("make_safe_deadline_at"))),
        made_safe_late=Count("pk", filter=made_safe_late),
        not_made_safe=Count("pk", filter=not_made_safe),
        pending=Count("pk", filter=Q(made_safe_at__isnull=True, make_safe_deadline_at__gte=now)),
    )
    unsafe = (
        _with_reasons(counted)
        .filter(made_safe_late | not_made_safe)
        .select_related("service_request__request_type")
        .order_by("received_at", "id")
    )
    return {
        "report": "review_and_make_safe",
        "period": period.as_dict(),
        "generated_at": _local(now),
        "review_by": REVIEW_BY.strftime("%H:%M"),
        "review": {"records": sum(review_counts.values()), **review_counts},
        "not_reviewed_in_time": not_reviewed,
        "make_safe": make_safe_counts,
        "not_made_safe_in_time": [
            {
                "emergency_id": emergency.pk,
                "request_id": emergency.service_request_id,
                "reference": emergency.reference,
                "type_of_request": _type_name(emergency),
                "classification": emergency.classification,
                "stage": emergency.stage,
                "received_at": _local(emergency.received_at),
                "make_safe_deadline_at": _local(emergency.make_safe_deadline_at),
                "made_safe_at": _local(emergency.made_safe_at),
                "outcome": "made_safe_late" if emergency.made_safe_at else "not_made_safe",
                "hours_to_make_safe": (
                    None
                    if emergency.made_safe_at is None
                    else round((emergency.made_safe_at - emergency.received_at).total_seconds() / 3600, 2)
                ),
                "reasons": _reasons(emergency, MissedDeadline.MAKE_SAFE),
            }
            for emergency in unsafe
        ],
        "stood_down": _stood_down(period),
    }


# --- CSV -----------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return csv_safe("" if value is None else value)


def _reason_text(reasons: list[dict]) -> str:
    return "; ".join(f"{r['reason']} ({r['by']}, {r['recorded_at']:%Y-%m-%d %H:%M})" for r in reasons)


def _standard_rows(data: dict) -> Iterator[list]:
    yield [
        "period",
        "month",
        "classification",
        "standard_hours",
        "received",
        "attended_in_time",
        "attended_late",
        "not_attended",
        "pending",
        "percent_in_time",
        "target_percent",
        "meets_target",
    ]
    rows = [(month["period"]["key"], month) for month in data["months"]]
    if data["period"]["kind"] == "year":
        rows.append(("total", data["totals"]))
    for key, figures in rows:
        for classification in CLASSES:
            f = figures[classification]
            yield [
                data["period"]["key"],
                key,
                classification,
                data["standard_hours"][classification],
                f["received"],
                f["attended_in_time"],
                f["attended_late"],
                f["not_attended"],
                f["pending"],
                f["percent_in_time"],
                data["target_percent"],
                f["meets_target"],
            ]


def _misses_rows(data: dict) -> Iterator[list]:
    columns = [
        "reference",
        "type_of_request",
        "classification",
        "received_at",
        "standard_deadline_at",
        "dispatched_at",
        "arrived_at",
        "outcome",
        "minutes_to_dispatch",
        "response_minutes",
        "minutes_late",
    ]
    yield [*columns, "reasons"]
    for miss in data["misses"]:
        yield [*(miss[column] for column in columns), _reason_text(miss["reasons"])]


def _daily_log_rows(data: dict) -> Iterator[list]:
    columns = [
        "reference",
        "location",
        "type_of_request",
        "classification",
        "channel",
        "received_at",
        "dispatched_at",
        "arrived_at",
        "made_safe_at",
        "closed_at",
        "response_minutes",
        "engineer",
        "stage",
        "times_corrected",
    ]
    yield ["record_number", *columns[1:]]
    for entry in data["entries"]:
        yield [entry[column] for column in columns]


def _summary_rows(data: dict) -> Iterator[list]:
    columns = [key for key, _label, _limit in BANDS] + ["not_attended", "total", "median_minutes", "mean_minutes"]
    yield ["category", *columns]
    for row in [*data["rows"], data["all"]]:
        yield [row["category"], *(row[column] for column in columns)]


def _review_rows(data: dict) -> Iterator[list]:
    yield ["check", "reference", "stage", "received_at", "due_at", "done_at", "outcome", "reasons"]
    for row in data["not_reviewed_in_time"]:
        due, done = row["review_due_at"], row["reviewed_at"]
        yield ["review", row["reference"], row["stage"], row["received_at"], due, done, row["outcome"], ""]
    for row in data["not_made_safe_in_time"]:
        due, done = row["make_safe_deadline_at"], row["made_safe_at"]
        reasons = _reason_text(row["reasons"])
        yield ["make_safe", row["reference"], row["stage"], row["received_at"], due, done, row["outcome"], reasons]


CSV_TABLES = {
    "standard-of-service": _standard_rows,
    "standard-of-service-misses": _misses_rows,
    "daily-log": _daily_log_rows,
    "monthly-summary": _summary_rows,
    "review-and-make-safe": _review_rows,
}


def csv_lines(table: str, data: dict) -> Iterator[str]:
    """The CSV of one table of a computed report, header first; formula-safe, times in local ISO 8601."""
    writer = csv.writer(_Echo())
    for row in CSV_TABLES[table](data):
        yield writer.writerow([_cell(value) for value in row])
