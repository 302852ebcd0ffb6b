"""The clock: deadlines, on time / at risk / late (in Python and in SQL), the board's order, and
daylight-saving changes in Europe/London. Time is driven by time-machine."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from emergencies import services
from emergencies.models import ClockState, Emergency
from testing.factories import CONTROLLED, UNCONTROLLED, make_dispatcher, make_engineer, report

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def at(when: datetime, **kwargs) -> Emergency:
    with time_machine.travel(when, tick=False):
        return report(**kwargs)


def sql_state(emergency: Emergency, now: datetime) -> str:
    return Emergency.objects.with_clock(now).get(pk=emergency.pk).clock_state


@pytest.mark.parametrize(
    ("minutes_after_receipt", "expected", "seconds_left"),
    [
        (0, ClockState.ON_TIME, 3600),
        (44, ClockState.ON_TIME, 960),
        (45, ClockState.AT_RISK, 900),  # 15 minutes before the deadline
        (60, ClockState.AT_RISK, 0),  # the deadline itself is still in time
        (61, ClockState.LATE, -60),
    ],
)
def test_an_unattended_uncontrolled_escape_runs_a_one_hour_clock(minutes_after_receipt, expected, seconds_left):
    emergency = at(T0, answers=UNCONTROLLED)
    now = T0 + timedelta(minutes=minutes_after_receipt)

    assert emergency.clock_state(now) == expected == sql_state(emergency, now)
    assert emergency.seconds_left(now) == seconds_left


def test_the_at_risk_window_is_a_setting(settings):
    settings.EMERGENCY_AT_RISK_MINUTES = 30
    emergency = at(T0, answers=CONTROLLED)  # two hours
    now = T0 + timedelta(minutes=91)

    assert emergency.clock_state(now) == ClockState.AT_RISK == sql_state(emergency, now)


def test_the_clock_stops_at_arrival():
    dispatcher, engineer = make_dispatcher(), make_engineer()
    on_time, late = at(T0, answers=UNCONTROLLED), at(T0, answers=UNCONTROLLED)
    for emergency, minutes in ((on_time, 59), (late, 75)):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            services.emergency_dispatch(acting_user=dispatcher, emergency=emergency, engineer=engineer)
            services.emergency_record_step(acting_user=engineer, emergency=emergency, step="arrived")
        emergency.refresh_from_db()
    much_later = T0 + timedelta(hours=5)

    assert on_time.clock_state(much_later) == ClockState.ON_TIME == sql_state(on_time, much_later)
    assert on_time.seconds_left(much_later) == 60
    assert on_time.attended_within_standard is True
    assert late.clock_state(much_later) == ClockState.LATE == sql_state(late, much_later)
    assert late.attended_within_standard is False


def test_a_correction_of_the_arrival_moves_the_clock():
    dispatcher, engineer = make_dispatcher(), make_engineer()
    emergency = at(T0, answers=UNCONTROLLED)
    with time_machine.travel(T0 + timedelta(minutes=70), tick=False):
        services.emergency_dispatch(acting_user=dispatcher, emergency=emergency, engineer=engineer)
        services.emergency_record_step(acting_user=engineer, emergency=emergency, step="arrived")
    emergency.refresh_from_db()
    assert emergency.clock_state() == ClockState.LATE

    with time_machine.travel(T0 + timedelta(minutes=80), tick=False):
        services.emergency_correct_time(
            acting_user=dispatcher,
            emergency=emergency,
            event=emergency.events.get(kind="arrived"),
            occurred_at=T0 + timedelta(minutes=55),
            reason="Engineer's tablet had no signal; arrival logged by radio at 09:55",
        )
    emergency.refresh_from_db()
    assert emergency.arrived_at == T0 + timedelta(minutes=55)
    assert emergency.clock_state() == ClockState.ON_TIME


def test_the_board_lists_undispatched_first_then_by_time_left():
    dispatcher, engineer = make_dispatcher(), make_engineer()
    controlled_early = at(T0, answers=CONTROLLED)  # deadline 11:00
    uncontrolled_later = at(T0 + timedelta(minutes=30), answers=UNCONTROLLED)  # deadline 10:30
    vulnerable_controlled = at(  # 1-hour clock: deadline 10:40
        T0 + timedelta(minutes=40),
        answers=CONTROLLED.__class__(meter_off=True, gas_escaping=False, vulnerable_present=True),
    )
    dispatched_urgent = at(T0 - timedelta(minutes=30), answers=UNCONTROLLED)  # deadline 09:30, but dispatched
    cleared = at(T0, answers=UNCONTROLLED)
    with time_machine.travel(T0 + timedelta(minutes=45), tick=False):
        services.emergency_dispatch(acting_user=dispatcher, emergency=dispatched_urgent, engineer=engineer)
        services.emergency_dispatch(acting_user=dispatcher, emergency=cleared, engineer=engineer)
        for step in ("arrived", "made_safe", "cleared"):
            services.emergency_record_step(acting_user=engineer, emergency=cleared, step=step)
        board = list(Emergency.objects.board())

    assert [row.pk for row in board] == [
        uncontrolled_later.pk,
        vulnerable_controlled.pk,
        controlled_early.pk,
        dispatched_urgent.pk,
    ]


# --- Daylight saving (Europe/London) -----------------------------------------------------------


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def test_a_one_hour_clock_across_the_spring_change_is_one_real_hour(london):
    # 29 March 2026: at 01:00 GMT the clocks go forward to 02:00 BST.
    received = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)  # 00:30 GMT
    emergency = at(received, answers=UNCONTROLLED)

    assert emergency.deadline_at - emergency.received_at == timedelta(hours=1)
    local_deadline = timezone.localtime(emergency.deadline_at)
    assert (local_deadline.hour, local_deadline.minute, local_deadline.tzname()) == (2, 30, "BST")
    # At 02:20 BST (01:20 UTC), ten real minutes are left, though the wall clock says 1h50 passed.
    now = datetime(2026, 3, 29, 2, 20, tzinfo=LONDON)
    assert emergency.seconds_left(now) == 600
    assert emergency.clock_state(now) == ClockState.AT_RISK == sql_state(emergency, now)
    assert emergency.clock_state(datetime(2026, 3, 29, 2, 31, tzinfo=LONDON)) == ClockState.LATE


def test_a_two_hour_clock_across_the_autumn_change_is_two_real_hours(london):
    # 25 October 2026: at 02:00 BST the clocks go back to 01:00 GMT; 01:30 happens twice.
    received = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST, the first one
    emergency = at(received, answers=CONTROLLED)

    local_received = timezone.localtime(emergency.received_at)
    local_deadline = timezone.localtime(emergency.deadline_at)
    assert (local_received.hour, local_received.minute, local_received.tzname()) == (1, 30, "BST")
    # The wall clock shows one hour between them; two real hours pass.
    assert (local_deadline.hour, local_deadline.minute, local_deadline.tzname()) == (2, 30, "GMT")
    assert emergency.deadline_at - emergency.received_at == timedelta(hours=2)
    # At the second 01:30 (GMT), the wall clock reads "no time has passed"; one real hour has.
    second_half_past_one = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1)
    assert emergency.seconds_left(second_half_past_one) == 3600
    assert emergency.clock_state(second_half_past_one) == ClockState.ON_TIME


def test_escalation_and_board_agree_across_the_spring_change(london):
    received = datetime(2026, 3, 29, 0, 50, tzinfo=LONDON)  # 00:50 GMT
    emergency = at(received, answers=UNCONTROLLED)
    now = datetime(2026, 3, 29, 2, 35, tzinfo=LONDON)  # 01:35 UTC: 45 real minutes later

    assert emergency.clock_state(now) == ClockState.AT_RISK
    assert Emergency.objects.board(now).get().clock_state == ClockState.AT_RISK
