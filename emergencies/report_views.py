"""The staff console's printable report pages (agents and admins): the same reports as the API.

Each page parses its period from the query string with `reports.period_from_query`, calls the
report functions, and renders in the utility's time zone; a bad period is a 400 page that says
what to give.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone

from utility_services.views import staff_required

from . import charts, local_time, reports


def _period(request, kind: str, default: str):
    """The period asked for (default: the current local day or month), or the errors to show."""
    query = request.GET if request.GET else {kind: default}
    try:
        return reports.period_from_query(query, (kind,)), []
    except ValidationError as exc:
        return None, [message for messages in exc.message_dict.values() for message in messages]


def _render(request, template: str, context: dict, status: int = 200):
    # Templates show aware times in the active zone: make it the utility's, not TIME_ZONE.
    with timezone.override(local_time.zone()):
        return render(request, template, context, status=status)


def _render_errors(request, template: str, errors: list[str], kind: str):
    return _render(request, template, {"errors": errors, "value": request.GET.get(kind, "")}, status=400)


@staff_required
def emergency_reports(request):
    """One month: the standard of service (and the year's chart), the response times, review and make-safe."""
    now = timezone.now()
    template = "emergencies/reports/month.html"
    month, errors = _period(request, "month", f"{local_time.local(now):%Y-%m}")
    if errors:
        return _render_errors(request, template, errors, "month")
    year = reports.Period.year_of(month.first)
    year_report = reports.standard_of_service(year, now=now)
    context = {
        "month": month,
        "value": month.key,
        "previous": month.shifted(-1),
        "next": month.shifted(1),
        "standard": reports.standard_of_service(month, now=now),
        "year_report": year_report,
        "chart": charts.monthly_chart(year_report),
        "summary": reports.monthly_summary(month, now=now),
        "review": reports.review_and_make_safe(month, now=now),
        "days": month.days(),
        "generated_at": local_time.local(now),
    }
    return _render(request, template, context)


@staff_required
def emergency_daily_log(request):
    """One local day's log of every emergency report (23 or 25 hours across a clock change)."""
    now = timezone.now()
    template = "emergencies/reports/daily_log.html"
    day, errors = _period(request, "date", local_time.local(now).date().isoformat())
    if errors:
        return _render_errors(request, template, errors, "date")
    context = {
        "day": day,
        "value": day.key,
        "previous": day.shifted(-1),
        "next": day.shifted(1),
        "month_key": f"{day.first:%Y-%m}",
        "log": reports.daily_log(day, now=now),
        "generated_at": local_time.local(now),
    }
    return _render(request, template, context)
