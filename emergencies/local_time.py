"""The utility's calendar: its time zone, business hours and public holidays (settings).

Times are stored in UTC; the reports count them in the utility's local time. A local day
runs from one local midnight to the next, so it lasts 23 or 25 hours across a
daylight-saving change; a local month is its local days. A business day is Monday to
Friday and not a public holiday of ``UTILITY_HOLIDAY_COUNTRY``/``UTILITY_HOLIDAY_SUBDIVISION``
(the `holidays` package); business hours run from ``UTILITY_BUSINESS_HOURS_START``
(inclusive) to ``UTILITY_BUSINESS_HOURS_END`` (exclusive) on business days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

SATURDAY = 5


class TimeCategory:
    """When a call came in, as the New York monthly summary splits them."""

    WEEKDAY_BUSINESS_HOURS = "weekday_business_hours"
    WEEKDAY_AFTER_HOURS = "weekday_after_hours"
    WEEKEND_OR_HOLIDAY = "weekend_or_holiday"
    CHOICES = (
        (WEEKDAY_BUSINESS_HOURS, "Weekday, business hours"),
        (WEEKDAY_AFTER_HOURS, "Weekday, after hours"),
        (WEEKEND_OR_HOLIDAY, "Weekend or holiday"),
    )


def zone() -> ZoneInfo:
    return _zone(settings.UTILITY_TIME_ZONE)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"UTILITY_TIME_ZONE={name!r} is not a time zone name such as Europe/London."
        ) from exc


def business_hours() -> tuple[time, time]:
    """(start, end) of business hours, local time."""
    return _hours(settings.UTILITY_BUSINESS_HOURS_START, settings.UTILITY_BUSINESS_HOURS_END)


@lru_cache(maxsize=8)
def _hours(start: str, end: str) -> tuple[time, time]:
    try:
        opens, closes = time.fromisoformat(start), time.fromisoformat(end)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"UTILITY_BUSINESS_HOURS_START/END must be times such as 08:00 and 17:00, not {start!r} and {end!r}."
        ) from exc
    if not opens < closes:
        raise ImproperlyConfigured(f"Business hours must start before they end ({start} to {end}).")
    return opens, closes


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError as exc:
        raise ImproperlyConfigured(
            f"UTILITY_HOLIDAY_COUNTRY={country!r} / UTILITY_HOLIDAY_SUBDIVISION={subdivision!r}: {exc}"
        ) from exc


def holiday_name(day: date) -> str | None:
    """The public holiday on `day` in the utility's region, or None."""
    calendar = _holidays(settings.UTILITY_HOLIDAY_COUNTRY, settings.UTILITY_HOLIDAY_SUBDIVISION, day.year)
    return calendar.get(day)


def holidays_between(first: date, end: date) -> list[tuple[date, str]]:
    """The public holidays from `first` to the day before `end`, in order."""
    found = []
    day = first
    while day < end:
        name = holiday_name(day)
        if name:
            found.append((day, name))
        day += timedelta(days=1)
    return found


def is_business_day(day: date) -> bool:
    return day.weekday() < SATURDAY and holiday_name(day) is None


def next_business_day(day: date) -> date:
    """The first business day after `day`."""
    following = day + timedelta(days=1)
    while not is_business_day(following):
        following += timedelta(days=1)
    return following


def local(moment: datetime) -> datetime:
    """An aware time in the utility's time zone."""
    return moment.astimezone(zone())


def at(day: date, clock: time) -> datetime:
    """`clock` on local `day`, as an aware local time.

    A time that a spring-forward skipped becomes the instant the clocks jumped to (through UTC
    and back: 01:30 on the day British clocks go from 01:00 to 02:00 is 02:30 BST; a midnight
    skipped, as in Chile, starts the day at 01:00). A time that happened twice is its first.
    """
    moment = datetime.combine(day, clock, tzinfo=zone())
    return moment.astimezone(UTC).astimezone(zone())


def start_of_day(day: date) -> datetime:
    """The first instant of local `day` (its midnight), aware."""
    return at(day, time(0))


def time_category(moment: datetime) -> str:
    """Weekday business hours, weekday after hours, or weekend or holiday: by local time."""
    moment = local(moment)
    if not is_business_day(moment.date()):
        return TimeCategory.WEEKEND_OR_HOLIDAY
    opens, closes = business_hours()
    if opens <= moment.time() < closes:
        return TimeCategory.WEEKDAY_BUSINESS_HOURS
    return TimeCategory.WEEKDAY_AFTER_HOURS


@register()
def check_calendar_settings(app_configs, **kwargs):
    """`manage.py check` (and every start of runserver or migrate) refuses a calendar that cannot work."""
    errors = []
    for probe in (zone, business_hours, lambda: holiday_name(date(2000, 1, 1))):
        try:
            probe()
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="emergencies.E001"))
    if not 1 <= settings.EMERGENCY_REPORT_YEAR_START_MONTH <= 12:
        errors.append(
            Error("EMERGENCY_REPORT_YEAR_START_MONTH must be a month number, 1 to 12.", id="emergencies.E002")
        )
    return errors
