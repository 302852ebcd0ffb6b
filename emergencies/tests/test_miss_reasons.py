"""Reasons for a missed deadline: recorded by dispatchers over HTTP, only for a deadline really missed."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import DatabaseError, transaction

from emergencies import services
from emergencies.models import EmergencyEvent
from testing.assertions import error_details, success_data
from testing.factories import CONTROLLED, UNCONTROLLED, make_dispatcher, make_engineer, report
from utility_services.models import RequestEvent

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def url(emergency) -> str:
    return f"/api/admin/emergencies/{emergency.pk}/miss-reasons/"


def attended(answers, minutes: int | None, made_safe_after: int | None = None):
    """An emergency received at T0, arrived after `minutes` (None: never), made safe after `made_safe_after`."""
    with time_machine.travel(T0, tick=False):
        emergency = report(answers=answers)
    if minutes is None:
        return emergency
    dispatcher, engineer = make_dispatcher(), make_engineer()
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        services.emergency_dispatch(acting_user=dispatcher, emergency=emergency, engineer=engineer)
        services.emergency_record_step(acting_user=engineer, emergency=emergency, step="arrived")
    if made_safe_after is not None:
        with time_machine.travel(T0 + timedelta(minutes=made_safe_after), tick=False):
            services.emergency_record_step(acting_user=engineer, emergency=emergency, step="made_safe")
    emergency.refresh_from_db()
    return emergency


def test_a_dispatcher_explains_a_late_attendance_and_it_stays_internal(agent_api, customer_api, customer):
    emergency = attended(UNCONTROLLED, 75)  # 15 minutes late against 1 hour
    body = {"deadline": "attendance", "reason": "  Both engineers were on a gas-in-building job  "}

    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        data = success_data(agent_api.post(url(emergency), body), 201)

    assert (data["kind"], data["reason"], data["data"], data["is_public"]) == (
        "miss_reason",
        "Both engineers were on a gas-in-building job",
        {"deadline": "attendance"},
        False,
    )
    assert data["actor"] == "Agnes Agent"
    mirrored = RequestEvent.objects.get(service_request=emergency.service_request, field="miss_reason")
    assert mirrored.is_internal
    assert mirrored.new_value == "Reason for a missed deadline: Attendance standard (1 or 2 hours)"


def test_reasons_add_up_and_never_replace_each_other(agent_api, admin_api):
    emergency = attended(UNCONTROLLED, 90)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        success_data(agent_api.post(url(emergency), {"deadline": "attendance", "reason": "Traffic"}), 201)
        success_data(admin_api.post(url(emergency), {"deadline": "attendance", "reason": "And a flat tyre"}), 201)

    reasons = EmergencyEvent.objects.filter(emergency=emergency, kind="miss_reason").order_by("id")
    assert [event.reason for event in reasons] == ["Traffic", "And a flat tyre"]


@pytest.mark.parametrize(
    ("answers", "minutes", "made_safe_after", "deadline", "hours_later"),
    [
        (UNCONTROLLED, 60, None, "attendance", 3),  # arrived at the deadline itself: in time
        (CONTROLLED, 110, None, "attendance", 3),  # controlled: 2 hours
        (UNCONTROLLED, None, None, "attendance", 0.5),  # not attended, but still within the hour
        (UNCONTROLLED, 30, 12 * 60, "make_safe", 13),  # made safe at exactly 12 hours
        (UNCONTROLLED, 30, None, "make_safe", 11),  # not made safe, 12 hours not yet over
    ],
)
def test_a_deadline_not_missed_has_nothing_to_explain(
    agent_api, answers, minutes, made_safe_after, deadline, hours_later
):
    emergency = attended(answers, minutes, made_safe_after)

    with time_machine.travel(T0 + timedelta(hours=hours_later), tick=False):
        response = agent_api.post(url(emergency), {"deadline": deadline, "reason": "Just in case"})

    details = error_details(response, 409)
    assert "has not been missed" in response.json()["error"]
    assert details["deadline"] == deadline
    assert not EmergencyEvent.objects.filter(kind="miss_reason").exists()


def test_a_missed_make_safe_and_a_never_attended_record_can_be_explained(agent_api):
    never = attended(UNCONTROLLED, None)
    slow = attended(UNCONTROLLED, 30, 13 * 60)
    with time_machine.travel(T0 + timedelta(hours=14), tick=False):
        success_data(agent_api.post(url(never), {"deadline": "attendance", "reason": "Lost the call"}), 201)
        success_data(agent_api.post(url(never), {"deadline": "make_safe", "reason": "Lost the call"}), 201)
        success_data(agent_api.post(url(slow), {"deadline": "make_safe", "reason": "Excavation"}), 201)
    assert EmergencyEvent.objects.filter(kind="miss_reason").count() == 3


def test_a_stood_down_report_has_no_deadlines(agent_api, agent):
    emergency = attended(UNCONTROLLED, None)
    services.emergency_stand_down(acting_user=agent, service_request=emergency.service_request, reason="Not gas")

    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        response = agent_api.post(url(emergency), {"deadline": "attendance", "reason": "x"})

    error_details(response, 409)
    assert "stood down" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x"}, "deadline"),
        ({"deadline": "review", "reason": "x"}, "deadline"),
        ({"deadline": "attendance"}, "reason"),
        ({"deadline": "attendance", "reason": "   "}, "reason"),
        ({"deadline": "attendance", "reason": "x" * 1001}, "reason"),
        ({"deadline": "attendance", "reason": "x", "occurred_at": "2026-06-01T09:00:00Z"}, "occurred_at"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(agent_api, body, field):
    emergency = attended(UNCONTROLLED, 90)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        details = error_details(agent_api.post(url(emergency), body), 400)
    assert field in details
    assert not EmergencyEvent.objects.filter(kind="miss_reason").exists()


def test_only_dispatchers_may_explain_even_through_the_service(engineer):
    emergency = attended(UNCONTROLLED, 90)
    with pytest.raises(services.Forbidden):
        services.emergency_explain_miss(acting_user=engineer, emergency=emergency, deadline="attendance", reason="x")


def test_the_database_requires_the_reason():
    emergency = attended(UNCONTROLLED, 90)
    with pytest.raises(DatabaseError), transaction.atomic():
        EmergencyEvent.objects.create(emergency=emergency, kind="miss_reason", occurred_at=T0, data={})
