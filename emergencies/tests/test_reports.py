"""The emergency reports equal the counts worked out by hand from the raw times.

Every emergency is reported, dispatched, attended, corrected, explained and reviewed through the
HTTP API (session + CSRF) on a stopped clock (time-machine), in Europe/London with England's
bank holidays (the default settings). The expected figures below are literal numbers derived
in the comments from the times of `scenarios.simulate_march_2024` and of the day simulated here;
none is computed by the code under test.

The March 2024 fixture (local time = UTC until Sunday 31 March 01:00 UTC, then BST = UTC+1):

    rec  received (local)          class (final)     arrived (first, effective)  response  outcome
    A    Fri  1 Mar 09:00          uncontrolled      09:10                        10:00    in time
    B    Fri  1 Mar 16:00 (phone)  controlled        17:30                        90:00    in time (2 h)
    C    Sat  2 Mar 03:00          uncontrolled      04:20                        80:00    LATE, reason given
    D    Tue  5 Mar 17:00:00       uncontrolled      17:15:00                     15:00    in time
    E    Wed  6 Mar 07:59:00       uncontrolled      08:14:01                     15:01    in time
    F    Wed  6 Mar 12:00          uncontrolled (dispatcher's override of controlled)
                                                     13:20                        80:00    LATE, no reason
    G    Mon 11 Mar 10:00          controlled, vulnerable present
                                                     11:30                        90:00    in time (Ofgem's 2 h,
                                                                                           not the board's 1 h)
    H    Thu 14 Mar 20:00          uncontrolled      20:55 (tapped 21:05, corrected)
                                                                                  55:00    in time
    I    Sat 16 Mar 14:00          uncontrolled      14:40                        40:00    in time
    J    Wed 20 Mar 10:00          uncontrolled      never                          -      NOT ATTENDED
    K    Wed 20 Mar 11:00          stood down (reclassified as maintenance): left out of the figures
    L    Thu 28 Mar 19:00          uncontrolled      19:20                        20:00    in time
    M    Fri 29 Mar 11:00 (Good Friday, customer)  controlled   11:25             25:00    in time
    N    Sun 31 Mar 00:50 GMT      uncontrolled      02:21 BST = 01:21 UTC        31:00    in time (the wall
                                                                                           clock says 91)
    O    Sun 31 Mar 23:30 UTC = Mon 1 Apr 00:30 BST: April, not March
    P    Thu 29 Feb 23:30 GMT: February, not March
"""

from datetime import timedelta

import pytest

from emergencies import local_time, reports
from testing.assertions import error_details, success_data
from testing.emergency_scenarios import CONTROLLED, REPORTS, UNCONTROLLED, Simulation, simulate_march_2024, travel, utc

pytestmark = pytest.mark.django_db
# When the March reports are read: every deadline of March has long passed.
APRIL_15 = utc(2024, 4, 15, 12, 0)


@pytest.fixture(autouse=True)
def _sessions_outlast_the_simulation(settings):
    settings.SESSION_COOKIE_AGE = int(timedelta(days=800).total_seconds())


def figures(received, in_time, late, not_attended, pending, percent, meets):
    counted = in_time + late + not_attended
    return {
        "received": received,
        "attended_in_time": in_time,
        "attended_late": late,
        "not_attended": not_attended,
        "pending": pending,
        "counted": counted,
        "missed": late + not_attended,
        "percent_in_time": percent,
        "meets_target": meets,
    }


def bands(b15, b30, b45, b60, over, not_attended, median, mean):
    attended = b15 + b30 + b45 + b60 + over
    return {
        "minutes_0_15": b15,
        "minutes_16_30": b30,
        "minutes_31_45": b45,
        "minutes_46_60": b60,
        "over_60": over,
        "attended": attended,
        "not_attended": not_attended,
        "total": attended + not_attended,
        "median_minutes": median,
        "mean_minutes": mean,
    }


def by_reference(sim: Simulation, rows: list[dict]) -> list[str]:
    """The scenario labels of report rows, in their order."""
    labels = {}
    for label in sim.ids:
        labels[sim.ids[label]] = label
    return [labels[row["emergency_id"]] for row in rows]


# --- The month ---------------------------------------------------------------------------------


def test_march_2024_standard_of_service_matches_the_hand_count(settings):
    sim = simulate_march_2024()

    data = sim.report_json("standard-of-service", APRIL_15, month="2024-03")

    # Local March: 1 March 00:00 GMT to 1 April 00:00 BST = 31 days less the hour skipped = 743 h.
    assert data["period"] == {
        "kind": "month",
        "key": "2024-03",
        "label": "March 2024",
        "time_zone": "Europe/London",
        "start": "2024-03-01T00:00:00+00:00",
        "end": "2024-04-01T00:00:00+01:00",
        "hours": 743.0,
    }
    # Uncontrolled: A C D E F H I J L N = 10. In time: A D E H I L N = 7; late: C F = 2; not
    # attended: J = 1. 7 / 10 = 70.00%, below 97%. (Without H's correction it would be 6; with F
    # left controlled, F would be in time; counting N by the wall clock would make it late.)
    # Controlled: B G M = 3, all within 2 hours: 100.00%. K is stood down; O is April; P February.
    assert data["totals"] == {
        "uncontrolled": figures(10, 7, 2, 1, 0, 70.0, False),
        "controlled": figures(3, 3, 0, 0, 0, 100.0, True),
    }
    assert [month["period"]["key"] for month in data["months"]] == ["2024-03"]
    assert data["stood_down"] == 1
    # The misses, in order of receipt, with every reason: C (reason), F (none), J (never attended).
    misses = data["misses"]
    assert by_reference(sim, misses) == ["C", "F", "J"]
    assert [(m["outcome"], m["minutes_late"], m["response_minutes"]) for m in misses] == [
        ("attended_late", 20.0, 80.0),  # C: 04:20 against 04:00
        ("attended_late", 20.0, 80.0),  # F: 13:20 against 13:00 (uncontrolled after the override)
        ("not_attended", None, None),  # J
    ]
    assert [m["classification"] for m in misses] == ["uncontrolled"] * 3
    assert misses[0]["received_at"] == "2024-03-02T03:00:00+00:00"
    assert misses[0]["standard_deadline_at"] == "2024-03-02T04:00:00+00:00"
    assert misses[0]["minutes_to_dispatch"] == 10.0
    assert [reason["reason"] for reason in misses[0]["reasons"]] == ["Engineer delayed by a road closure on the A6"]
    assert misses[0]["reasons"][0]["by"] == "Dana Dispatcher"
    assert misses[0]["reasons"][0]["recorded_at"] == "2024-03-02T08:00:00+00:00"
    assert misses[1]["reasons"] == misses[2]["reasons"] == []
    assert misses[2]["dispatched_at"] == "2024-03-20T10:30:00+00:00"

    # The year: P (February, in time) and O (April, in time) join March's uncontrolled escapes:
    # 7 + 2 = 9 in time of 12 = 75.00%. Controlled: still 3 of 3.
    year = sim.report_json("standard-of-service", APRIL_15, year="2024")
    assert year["period"]["label"] == "2024" and year["period"]["hours"] == 366 * 24
    assert [month["period"]["key"] for month in year["months"]] == [f"2024-{m:02}" for m in range(1, 13)]
    assert year["totals"] == {
        "uncontrolled": figures(12, 9, 2, 1, 0, 75.0, False),
        "controlled": figures(3, 3, 0, 0, 0, 100.0, True),
    }
    by_month = {month["period"]["key"]: month for month in year["months"]}
    assert by_month["2024-02"]["uncontrolled"] == figures(1, 1, 0, 0, 0, 100.0, True)
    assert by_month["2024-03"]["uncontrolled"] == data["totals"]["uncontrolled"]
    assert by_month["2024-04"]["uncontrolled"] == figures(1, 1, 0, 0, 0, 100.0, True)
    assert by_month["2024-05"]["uncontrolled"] == figures(0, 0, 0, 0, 0, None, None)
    # April has 30 days less nothing: BST all month = 720 h.
    assert by_month["2024-04"]["period"]["hours"] == 720.0


def test_march_2024_response_times_review_and_make_safe_match_the_hand_count():
    sim = simulate_march_2024()

    summary = sim.report_json("monthly-summary", APRIL_15, month="2024-03")

    # Weekday business hours (Mon-Fri 08:00 to 17:00, not holidays): A 10:00, B 90:00, F 80:00,
    # G 90:00; J never attended. Bands 0-15: A; over 60: B F G. Median (80 + 90) / 2 = 85.0;
    # mean (10 + 90 + 80 + 90) / 4 = 67.5.
    # Weekday after hours: D 15:00 (17:00 is after hours; exactly 15:00 is 0-15), E 15:01 (07:59 is
    # before hours; 15:01 is 16-30), L 20:00, H 55:00 (as corrected). Median (15:01 + 20:00) / 2 =
    # 1050.5 s = 17.5 min; mean (900 + 901 + 1200 + 3300) / 4 = 1575.25 s = 26.3 min.
    # Weekends and holidays: C 80:00 (Sat), I 40:00 (Sat), M 25:00 (Good Friday), N 31:00 (Sun,
    # across the clock change). 16-30: M; 31-45: I N; over 60: C. Median (31 + 40) / 2 = 35.5;
    # mean (80 + 40 + 25 + 31) / 4 = 44.0.
    assert [(row["category"], row["label"]) for row in summary["rows"]] == [
        ("weekday_business_hours", "Weekday, business hours"),
        ("weekday_after_hours", "Weekday, after hours"),
        ("weekend_or_holiday", "Weekend or holiday"),
    ]
    rows = {
        row["category"]: {k: v for k, v in row.items() if k not in ("category", "label")} for row in summary["rows"]
    }
    assert rows == {
        "weekday_business_hours": bands(1, 0, 0, 0, 3, 1, 85.0, 67.5),
        "weekday_after_hours": bands(1, 2, 0, 1, 0, 0, 17.5, 26.3),
        "weekend_or_holiday": bands(0, 1, 2, 0, 1, 0, 35.5, 44.0),
    }
    # All 12 attended, sorted: 10, 15:00, 15:01, 20, 25, 31, 40, 55, 80, 80, 90, 90 (minutes).
    # Median (31 + 40) / 2 = 35.5; mean 33061 s / 12 = 2755.08 s = 45.9 min.
    assert {k: v for k, v in summary["all"].items() if k not in ("category", "label")} == bands(
        2, 3, 2, 1, 4, 1, 35.5, 45.9
    )
    assert summary["holidays"] == [{"date": "2024-03-29", "name": "Good Friday"}]
    assert summary["holiday_region"] == "GB-ENG"
    assert summary["business_hours"]["start"] == "08:00" and summary["business_hours"]["end"] == "17:00"
    assert summary["stood_down"] == 1

    review = sim.report_json("review-and-make-safe", APRIL_15, month="2024-03")

    # Due: 10:00 local on the first business day after the local day of receipt. All 14 records
    # received in March (K too). In time: A (Mon 4, 09:00), C (Mon 4, 09:30), D (Wed 6, 08:00),
    # E (Thu 7, 09:59), G (Tue 12, 09:00), I (Mon 18, 09:00), J and K (Thu 21), L (Thu 28 -> due
    # Tue 2 April: Good Friday, the weekend and Easter Monday are not business days; 09:30 BST),
    # M (Good Friday -> Tue 2 April, 09:59 BST) = 10. Late: B (due Mon 4 10:00, at 10:05: 0.1 h),
    # F (due Thu 7 10:00, at 11:00: 1.0 h), N (due Tue 2 April 10:00 BST, at 10:30 BST: 0.5 h) = 3.
    # Never: H (due Fri 15 March 10:00 GMT; by 15 April 12:00 UTC, 31 days 2 hours = 746.0 h).
    assert review["review"] == {
        "records": 14,
        "reviewed_in_time": 10,
        "reviewed_late": 3,
        "not_reviewed": 1,
        "pending": 0,
    }
    late = review["not_reviewed_in_time"]
    assert by_reference(sim, late) == ["B", "F", "H", "N"]
    assert [(row["outcome"], row["hours_late"]) for row in late] == [
        ("reviewed_late", 0.1),
        ("reviewed_late", 1.0),
        ("not_reviewed", 746.0),
        ("reviewed_late", 0.5),
    ]
    assert [row["review_due_at"] for row in late] == [
        "2024-03-04T10:00:00+00:00",
        "2024-03-07T10:00:00+00:00",
        "2024-03-15T10:00:00+00:00",
        "2024-04-02T10:00:00+01:00",
    ]
    assert late[3]["reviewed_at"] == "2024-04-02T10:30:00+01:00"
    assert late[2]["reviewed_at"] is None
    # Made safe within 12 hours: A B C D E F G H L M N = 11 of the 13 counted; I took 13 hours
    # (with a reason); J was never made safe.
    assert review["make_safe"] == {
        "escapes": 13,
        "made_safe_in_time": 11,
        "made_safe_late": 1,
        "not_made_safe": 1,
        "pending": 0,
    }
    unsafe = review["not_made_safe_in_time"]
    assert by_reference(sim, unsafe) == ["I", "J"]
    assert [(row["outcome"], row["hours_to_make_safe"]) for row in unsafe] == [
        ("made_safe_late", 13.0),
        ("not_made_safe", None),
    ]
    assert unsafe[0]["make_safe_deadline_at"] == "2024-03-17T02:00:00+00:00"
    assert [r["reason"] for r in unsafe[0]["reasons"]] == ["Leak under the road: excavation before isolation"]
    assert unsafe[1]["reasons"] == []


def test_march_2024_daily_logs_follow_local_days():
    sim = simulate_march_2024()

    # Sunday 31 March: 00:00 GMT to 24:00 BST, 23 hours. N is in it; O (23:30 UTC) is already 1 April.
    sunday = sim.report_json("daily-log", APRIL_15, date="2024-03-31")
    assert (sunday["period"]["hours"], sunday["period"]["end"]) == (23.0, "2024-04-01T00:00:00+01:00")
    assert by_reference(sim, sunday["entries"]) == ["N"]
    (entry,) = sunday["entries"]
    assert entry["received_at"] == "2024-03-31T00:50:00+00:00"
    assert entry["dispatched_at"] == "2024-03-31T00:55:00+00:00"
    assert entry["arrived_at"] == "2024-03-31T02:21:00+01:00"
    assert entry["made_safe_at"] == "2024-03-31T02:40:00+01:00"
    assert entry["response_minutes"] == 31.0
    assert (entry["location"], entry["type_of_request"], entry["classification"]) == (
        "N Gas Street",
        "Gas Leak",
        "uncontrolled",
    )
    monday = sim.report_json("daily-log", APRIL_15, date="2024-04-01")
    assert by_reference(sim, monday["entries"]) == ["O"]
    assert monday["entries"][0]["received_at"] == "2024-04-01T00:30:00+01:00"
    # The corrected arrival of H is the one logged, and marked corrected.
    thursday = sim.report_json("daily-log", APRIL_15, date="2024-03-14")
    (entry,) = thursday["entries"]
    assert (entry["arrived_at"], entry["response_minutes"], entry["times_corrected"]) == (
        "2024-03-14T20:55:00+00:00",
        55.0,
        True,
    )
    # Every report received is logged, the one stood down too (marked by its stage).
    wednesday = sim.report_json("daily-log", APRIL_15, date="2024-03-20")
    assert by_reference(sim, wednesday["entries"]) == ["J", "K"]
    assert [(e["stage"], e["arrived_at"]) for e in wednesday["entries"]] == [("dispatched", None), ("stood_down", None)]
    # The phoned-in report is logged at the caller's time of call, not when it was typed in.
    friday = sim.report_json("daily-log", APRIL_15, date="2024-03-01")
    assert by_reference(sim, friday["entries"]) == ["A", "B"]
    assert friday["entries"][1]["received_at"] == "2024-03-01T16:00:00+00:00"
    assert friday["entries"][1]["channel"] == "phone"
    assert friday["count"] == 2


# --- A day: Sunday 27 October 2024, when the clocks went back (25 hours) --------------------------


def test_a_simulated_day_of_25_hours_and_the_reports_read_during_it():
    """02:00 BST became 01:00 GMT: 01:00 to 02:00 local happened twice, and the day lasted 25 hours.

    rec  received UTC        local                 arrived UTC   response  made safe
    X    Sat 26 22:50        Sat 26 23:50 BST      22:55          5:00     23:30   (the day before)
    D1   Sat 26 23:10        Sun 27 00:10 BST      23:30         20:00     23:50
    D2   Sun 27 00:30        01:30 BST (phoned)    01:20         50:00     01:50   (wall clock: -10 min)
    D3   Sun 27 01:30        01:30 GMT (customer,  01:45         15:00     02:10
                             controlled)
    D4   Sun 27 23:50        23:50 GMT             never           -       never
    Y    Mon 28 00:10        Mon 28 00:10 GMT      00:40         30:00     01:00   (the day after)
    """
    sim = Simulation(utc(2024, 10, 26, 22, 0))
    sim.report("X", utc(2024, 10, 26, 22, 50), UNCONTROLLED)
    sim.attend("X", utc(2024, 10, 26, 22, 51), utc(2024, 10, 26, 22, 55), utc(2024, 10, 26, 23, 30))
    sim.report("D1", utc(2024, 10, 26, 23, 10), UNCONTROLLED)
    sim.attend("D1", utc(2024, 10, 26, 23, 12), utc(2024, 10, 26, 23, 30), utc(2024, 10, 26, 23, 50))
    sim.phoned("D2", utc(2024, 10, 27, 0, 33), utc(2024, 10, 27, 0, 30), UNCONTROLLED)
    sim.attend("D2", utc(2024, 10, 27, 0, 40), utc(2024, 10, 27, 1, 20), utc(2024, 10, 27, 1, 50))
    sim.report("D3", utc(2024, 10, 27, 1, 30), CONTROLLED, customer=True)
    sim.attend("D3", utc(2024, 10, 27, 1, 32), utc(2024, 10, 27, 1, 45), utc(2024, 10, 27, 2, 10))
    sim.report("D4", utc(2024, 10, 27, 23, 50), UNCONTROLLED, latitude=51.5, longitude=-0.12, address=None)
    sim.report("Y", utc(2024, 10, 28, 0, 10), UNCONTROLLED)

    # Monday 00:20 UTC: D4 (deadline 00:50) and Y (01:10) are not attended yet, still in time: pending.
    early = sim.report_json("standard-of-service", utc(2024, 10, 28, 0, 20), month="2024-10")
    # Uncontrolled: X D1 D2 in time, D4 Y pending: 3 of 3 counted = 100.00%. Controlled: D3.
    assert early["totals"] == {
        "uncontrolled": figures(5, 3, 0, 0, 2, 100.0, True),
        "controlled": figures(1, 1, 0, 0, 0, 100.0, True),
    }
    assert early["misses"] == []

    sim.attend("Y", utc(2024, 10, 28, 0, 20), utc(2024, 10, 28, 0, 40), utc(2024, 10, 28, 1, 0))
    sim.review("D1", utc(2024, 10, 28, 9, 0))
    # 09:30: the reviews of Sunday's records are due by Monday 10:00 GMT; three are pending.
    review = sim.report_json("review-and-make-safe", utc(2024, 10, 28, 9, 30), date="2024-10-27")
    assert review["review"] == {
        "records": 4,
        "reviewed_in_time": 1,
        "reviewed_late": 0,
        "not_reviewed": 0,
        "pending": 3,
    }
    sim.review("D2", utc(2024, 10, 28, 10, 0))  # exactly on time: "by 10:00" includes 10:00:00
    sim.review("D3", utc(2024, 10, 28, 10, 30))

    noon = utc(2024, 10, 28, 12, 0)
    log = sim.report_json("daily-log", noon, date="2024-10-27")
    # 27 October: 00:00 BST (26th 23:00 UTC) to 24:00 GMT (28th 00:00 UTC) = 25 hours.
    assert log["period"]["start"] == "2024-10-27T00:00:00+01:00"
    assert log["period"]["end"] == "2024-10-28T00:00:00+00:00"
    assert log["period"]["hours"] == 25.0
    assert by_reference(sim, log["entries"]) == ["D1", "D2", "D3", "D4"]
    # 01:30 twice: first in BST, then in GMT, an hour apart.
    assert [e["received_at"] for e in log["entries"]] == [
        "2024-10-27T00:10:00+01:00",
        "2024-10-27T01:30:00+01:00",
        "2024-10-27T01:30:00+00:00",
        "2024-10-27T23:50:00+00:00",
    ]
    assert [e["arrived_at"] for e in log["entries"]] == [
        "2024-10-27T00:30:00+01:00",
        "2024-10-27T01:20:00+00:00",
        "2024-10-27T01:45:00+00:00",
        None,
    ]
    assert [e["response_minutes"] for e in log["entries"]] == [20.0, 50.0, 15.0, None]
    assert [e["channel"] for e in log["entries"]] == ["api", "phone", "api", "api"]
    assert log["entries"][3]["location"] == "51.50000, -0.12000"

    # Every call of the month is on a Sunday or Saturday except Y (Monday 00:10, after hours).
    # Weekend: X 5:00 and D3 15:00 (0-15), D1 20:00 (16-30), D2 50:00 (46-60), D4 never.
    # Median (15 + 20) / 2 = 17.5; mean (5 + 20 + 50 + 15) / 4 = 22.5.
    # After hours: Y, exactly 30:00, in 16-30 (the limit is inclusive).
    summary = sim.report_json("monthly-summary", noon, month="2024-10")
    rows = {
        row["category"]: {k: v for k, v in row.items() if k not in ("category", "label")} for row in summary["rows"]
    }
    assert rows == {
        "weekday_business_hours": bands(0, 0, 0, 0, 0, 0, None, None),
        "weekday_after_hours": bands(0, 1, 0, 0, 0, 0, 30.0, 30.0),
        "weekend_or_holiday": bands(2, 1, 0, 1, 0, 1, 17.5, 22.5),
    }
    # October 2024: 31 days plus the hour given back = 745 hours.
    assert summary["period"]["hours"] == 745.0
    assert summary["holidays"] == []

    # Uncontrolled: X D1 D2 Y in time; D4's deadline (00:50) has passed: 4 of 5 = 80.00%.
    standard = sim.report_json("standard-of-service", noon, month="2024-10")
    assert standard["totals"]["uncontrolled"] == figures(5, 4, 0, 1, 0, 80.0, False)
    assert by_reference(sim, standard["misses"]) == ["D4"]

    # Reviews due Monday 10:00 GMT: D1 (09:00) and D2 (10:00:00) in time; D3 (10:30) 0.5 h late;
    # D4 never: 2.0 h late at noon. Made safe: X D1 D2 D3 Y; D4's 12 hours ended 11:50: overdue.
    review = sim.report_json("review-and-make-safe", noon, date="2024-10-27")
    assert review["review"] == {
        "records": 4,
        "reviewed_in_time": 2,
        "reviewed_late": 1,
        "not_reviewed": 1,
        "pending": 0,
    }
    assert [(row["outcome"], row["hours_late"]) for row in review["not_reviewed_in_time"]] == [
        ("reviewed_late", 0.5),
        ("not_reviewed", 2.0),
    ]
    assert review["make_safe"] == {
        "escapes": 4,
        "made_safe_in_time": 3,
        "made_safe_late": 0,
        "not_made_safe": 1,
        "pending": 0,
    }


# --- Exports --------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    import csv

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(response.content.decode().splitlines()))


def test_the_csv_exports_carry_the_same_figures_and_are_formula_safe():
    sim = simulate_march_2024()
    # A report whose location would be a spreadsheet formula.
    sim.report("Z", utc(2024, 3, 12, 12, 0), UNCONTROLLED, address='=HYPERLINK("http://evil.example")')
    sim.attend("Z", utc(2024, 3, 12, 12, 5), utc(2024, 3, 12, 12, 25), utc(2024, 3, 12, 12, 45))
    sim.review("Z", utc(2024, 3, 13, 9, 0))

    with travel(APRIL_15):
        standard = csv_rows(sim.dispatcher.get(f"{REPORTS}standard-of-service/csv/", {"month": "2024-03"}))
        misses = csv_rows(sim.dispatcher.get(f"{REPORTS}standard-of-service/misses/csv/", {"month": "2024-03"}))
        year = csv_rows(sim.dispatcher.get(f"{REPORTS}standard-of-service/csv/", {"year": "2024"}))
        log = csv_rows(sim.dispatcher.get(f"{REPORTS}daily-log/csv/", {"date": "2024-03-12"}))
        summary = csv_rows(sim.dispatcher.get(f"{REPORTS}monthly-summary/csv/", {"month": "2024-03"}))
        review = csv_rows(sim.dispatcher.get(f"{REPORTS}review-and-make-safe/csv/", {"month": "2024-03"}))
        response = sim.dispatcher.get(f"{REPORTS}daily-log/csv/", {"date": "2024-03-12"})
    assert response["Content-Disposition"] == 'attachment; filename="daily-log-2024-03-12.csv"'

    # Z (uncontrolled, 25 minutes, in time) joins March: 8 of 11 = 72.73%.
    assert standard == [
        [
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
        ],
        ["2024-03", "2024-03", "uncontrolled", "1", "11", "8", "2", "1", "0", "72.73", "97", "no"],
        ["2024-03", "2024-03", "controlled", "2", "3", "3", "0", "0", "0", "100.0", "97", "yes"],
    ]
    # A year: 12 months x 2 classes, then the totals: uncontrolled 8 + P + O = 10 of 13 = 76.92%.
    assert len(year) == 1 + 24 + 2
    assert year[-2] == ["2024", "total", "uncontrolled", "1", "13", "10", "2", "1", "0", "76.92", "97", "no"]
    assert year[5] == ["2024", "2024-03", "uncontrolled", "1", "11", "8", "2", "1", "0", "72.73", "97", "no"]
    assert year[7][:6] == ["2024", "2024-04", "uncontrolled", "1", "1", "1"]

    assert misses[0][-1] == "reasons"
    assert [row[7] for row in misses[1:]] == ["attended_late", "attended_late", "not_attended"]
    assert misses[1][3:7] == [
        "2024-03-02T03:00:00+00:00",
        "2024-03-02T04:00:00+00:00",
        "2024-03-02T03:10:00+00:00",
        "2024-03-02T04:20:00+00:00",
    ]
    assert misses[1][-1] == "Engineer delayed by a road closure on the A6 (Dana Dispatcher, 2024-03-02 08:00)"
    assert misses[2][-1] == misses[3][-1] == ""

    assert log[0][:8] == [
        "record_number",
        "location",
        "type_of_request",
        "classification",
        "channel",
        "received_at",
        "dispatched_at",
        "arrived_at",
    ]
    (row,) = log[1:]
    assert row[1] == '\'=HYPERLINK("http://evil.example")'
    assert row[5:8] == ["2024-03-12T12:00:00+00:00", "2024-03-12T12:05:00+00:00", "2024-03-12T12:25:00+00:00"]

    # Z (Tuesday 12:00, 25 minutes) joins the weekday business hours in 16-30: 1 0 -> 1 1.
    assert summary == [
        [
            "category",
            "minutes_0_15",
            "minutes_16_30",
            "minutes_31_45",
            "minutes_46_60",
            "over_60",
            "not_attended",
            "total",
            "median_minutes",
            "mean_minutes",
        ],
        # A 10, Z 25, F 80, B 90, G 90: median 80.0; mean 295 / 5 = 59.0.
        ["weekday_business_hours", "1", "1", "0", "0", "3", "1", "6", "80.0", "59.0"],
        ["weekday_after_hours", "1", "2", "0", "1", "0", "0", "4", "17.5", "26.3"],
        ["weekend_or_holiday", "0", "1", "2", "0", "1", "0", "4", "35.5", "44.0"],
        # 13 attended: the 12 of before and 25:00; median 31.0; mean (33061 + 1500) / 13 s = 44.3 min.
        ["all", "2", "4", "2", "1", "4", "1", "14", "31.0", "44.3"],
    ]

    assert [(row[0], row[6]) for row in review[1:]] == [
        ("review", "reviewed_late"),
        ("review", "reviewed_late"),
        ("review", "not_reviewed"),
        ("review", "reviewed_late"),
        ("make_safe", "made_safe_late"),
        ("make_safe", "not_made_safe"),
    ]
    assert review[5][-1].startswith("Leak under the road: excavation before isolation (Dana Dispatcher, ")


# --- Parameters, settings and rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "params", "field", "message"),
    [
        ("standard-of-service", {}, "non_field_errors", "Give exactly one period: month=YYYY-MM or year=YYYY."),
        ("standard-of-service", {"month": "2024-03", "year": "2024"}, "non_field_errors", "Give exactly one"),
        ("standard-of-service", {"month": "2024-13"}, "month", "Use YYYY-MM, e.g. 2024-03 (years 1970 to 2999)."),
        ("standard-of-service", {"month": "2024-3"}, "month", "Use YYYY-MM"),
        ("standard-of-service", {"year": "1969"}, "year", "Use YYYY, e.g. 2024"),
        ("standard-of-service", {"date": "2024-03-01"}, "date", "Unknown parameter: this report takes month="),
        ("standard-of-service/csv", {"mnth": "2024-03"}, "mnth", "Unknown parameter"),
        ("daily-log", {"date": "2024-02-30"}, "date", "2024-02-30 is not a date in the calendar."),
        ("daily-log", {"date": "2024-03-01\n"}, "date", "Use YYYY-MM-DD"),
        ("daily-log", {"month": "2024-03"}, "month", "Unknown parameter: this report takes date=YYYY-MM-DD."),
        ("monthly-summary", {"month": ["2024-03", "2024-04"]}, "month", "Give this parameter once."),
        ("review-and-make-safe/csv", {"year": "2024"}, "year", "Unknown parameter"),
        ("daily-log", {"date": ""}, "non_field_errors", "Give exactly one period: date=YYYY-MM-DD."),
        ("standard-of-service", {"month": "", "year": ""}, "non_field_errors", "Give exactly one period"),
    ],
)
def test_a_bad_period_is_a_clear_400(agent_api, route, params, field, message):
    response = agent_api.get(f"{REPORTS}{route}/", params)

    details = error_details(response, 400)
    assert list(details) == [field]
    assert details[field][0].startswith(message)


def test_an_empty_parameter_is_no_parameter(agent_api):
    # Found by the outsider fuzz: the schema says an unused filter may be sent empty, as forms do.
    data = success_data(agent_api.get(f"{REPORTS}standard-of-service/", {"month": "2024-03", "year": ""}))
    assert data["period"]["key"] == "2024-03"
    data = success_data(agent_api.get(f"{REPORTS}review-and-make-safe/", {"month": "", "date": "2024-03-01"}))
    assert data["period"]["key"] == "2024-03-01"


def test_an_empty_period_reports_zeros_not_errors(agent_api):
    data = success_data(agent_api.get(f"{REPORTS}standard-of-service/", {"month": "2999-12"}))
    assert data["totals"]["uncontrolled"] == figures(0, 0, 0, 0, 0, None, None)
    assert data["misses"] == [] and data["stood_down"] == 0
    log = success_data(agent_api.get(f"{REPORTS}daily-log/", {"date": "1970-01-01"}))
    assert (log["count"], log["entries"], log["period"]["hours"]) == (0, [], 24.0)


def test_a_utility_elsewhere_counts_in_its_own_time_zone_and_holidays(settings):
    """New York: Eastern time, and the holidays of New York State."""
    settings.UTILITY_TIME_ZONE = "America/New_York"
    settings.UTILITY_HOLIDAY_COUNTRY, settings.UTILITY_HOLIDAY_SUBDIVISION = "US", "NY"
    sim = Simulation(utc(2024, 2, 29, 12, 0))
    # 1 March 03:00 UTC is 29 February 22:00 EST: February there.
    sim.report("feb", utc(2024, 3, 1, 3, 0), UNCONTROLLED)
    # 4 July 15:00 UTC is 11:00 EDT on Independence Day, a Thursday: a holiday call.
    sim.report("july4", utc(2024, 7, 4, 15, 0), UNCONTROLLED)
    sim.attend("july4", utc(2024, 7, 4, 15, 5), utc(2024, 7, 4, 15, 20))
    # 5 July 15:00 UTC is 11:00 EDT on a Friday: business hours.
    sim.report("july5", utc(2024, 7, 5, 15, 0), UNCONTROLLED)
    sim.attend("july5", utc(2024, 7, 5, 15, 5), utc(2024, 7, 5, 15, 50))

    later = utc(2024, 8, 1, 12, 0)
    february = sim.report_json("daily-log", later, date="2024-02-29")
    assert by_reference(sim, february["entries"]) == ["feb"]
    assert february["entries"][0]["received_at"] == "2024-02-29T22:00:00-05:00"
    july = sim.report_json("monthly-summary", later, month="2024-07")
    rows = {row["category"]: row for row in july["rows"]}
    assert (rows["weekend_or_holiday"]["total"], rows["weekend_or_holiday"]["minutes_16_30"]) == (1, 1)
    assert (rows["weekday_business_hours"]["total"], rows["weekday_business_hours"]["minutes_46_60"]) == (1, 1)
    assert july["holidays"] == [{"date": "2024-07-04", "name": "Independence Day"}]
    assert july["period"]["time_zone"] == "America/New_York"


def test_a_reporting_year_may_start_in_april(settings):
    settings.EMERGENCY_REPORT_YEAR_START_MONTH = 4
    sim = Simulation(utc(2024, 3, 1, 12, 0))
    sim.report("march_2024", utc(2024, 3, 30, 12, 0), UNCONTROLLED)
    sim.report("february_2025", utc(2025, 2, 3, 12, 0), UNCONTROLLED)

    data = sim.report_json("standard-of-service", utc(2025, 4, 2, 12, 0), year="2024")

    assert data["period"]["label"] == "April 2024 to March 2025"
    assert [m["period"]["key"] for m in data["months"]][::11] == ["2024-04", "2025-03"]
    # Only the February 2025 report falls in it; never attended.
    assert data["totals"]["uncontrolled"] == figures(1, 0, 0, 1, 0, 0.0, False)


def test_the_rules_at_their_boundaries():
    # A band's upper limit is inclusive.
    assert [reports.band_of(s) for s in (0, 900, 901, 1800, 1801, 2700, 3600, 3601)] == [
        "minutes_0_15",
        "minutes_0_15",
        "minutes_16_30",
        "minutes_16_30",
        "minutes_31_45",
        "minutes_31_45",
        "minutes_46_60",
        "over_60",
    ]
    # 97 of 100 meets the target; 32 of 33 (96.97%) and 9699 of 10000 (96.99%) do not; neither
    # does a percentage that only rounds to 97.00.
    counts = {"attended_late": 0, "pending": 0}
    assert reports._figures({**counts, "attended_in_time": 97, "not_attended": 3})["meets_target"] is True
    assert reports._figures({**counts, "attended_in_time": 32, "not_attended": 1})["meets_target"] is False
    assert reports._figures({**counts, "attended_in_time": 9699, "not_attended": 301})["meets_target"] is False
    nearly = reports._figures({**counts, "attended_in_time": 96996, "not_attended": 3004})  # 96.996%
    assert (nearly["percent_in_time"], nearly["meets_target"]) == (97.0, False)


def test_the_calendar_settings_are_checked(settings):
    assert local_time.check_calendar_settings(None) == []
    settings.UTILITY_TIME_ZONE = "Europe/Atlantis"
    settings.UTILITY_BUSINESS_HOURS_START, settings.UTILITY_BUSINESS_HOURS_END = "17:00", "08:00"
    settings.UTILITY_HOLIDAY_COUNTRY = "XX"
    settings.EMERGENCY_REPORT_YEAR_START_MONTH = 13
    messages = [error.msg for error in local_time.check_calendar_settings(None)]
    assert len(messages) == 4
    assert "UTILITY_TIME_ZONE='Europe/Atlantis' is not a time zone name" in messages[0]
    assert "Business hours must start before they end (17:00 to 08:00)." in messages[1]
    assert "UTILITY_HOLIDAY_COUNTRY='XX'" in messages[2]
    assert "EMERGENCY_REPORT_YEAR_START_MONTH must be a month number" in messages[3]


def test_a_clock_change_at_midnight_starts_the_day_when_the_clocks_do(settings, agent_api):
    """Chile moves its clocks at midnight: Sunday 8 September 2024 began at 01:00 local, 23 hours long."""
    settings.UTILITY_TIME_ZONE = "America/Santiago"
    data = success_data(agent_api.get(f"{REPORTS}daily-log/", {"date": "2024-09-08"}))
    assert (data["period"]["start"], data["period"]["end"]) == (
        "2024-09-08T01:00:00-03:00",
        "2024-09-09T00:00:00-03:00",
    )
    assert data["period"]["hours"] == 23.0
