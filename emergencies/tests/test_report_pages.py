"""The printable report pages of the staff console, through a real login (the login form, with CSRF).

The month is `scenarios.simulate_march_2024`; the figures the pages must show are the ones
worked out by hand in test_reports.py (repeated here as literals).
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from testing.emergency_scenarios import simulate_march_2024, travel, utc
from testing.page_client import PageClient, login_redirect

pytestmark = pytest.mark.django_db
MONTH_PAGE = "/staff/emergency-reports/"
DAY_PAGE = "/staff/emergency-reports/daily-log/"
APRIL_15 = utc(2024, 4, 15, 12, 0)


@pytest.fixture(autouse=True)
def _sessions_outlast_the_simulation(settings):
    settings.SESSION_COOKIE_AGE = int(timedelta(days=90).total_seconds())


def logged_in(user) -> PageClient:
    client = PageClient()
    client.login(user)
    return client


def cells(row) -> list[str]:
    return [cell.text() for cell in row.children if not isinstance(cell, str) and cell.tag in ("th", "td")]


def test_the_month_page_shows_the_hand_counted_figures(agent):
    simulate_march_2024()
    client = logged_in(agent)

    with travel(APRIL_15):
        page = client.page(MONTH_PAGE, {"month": "2024-03"})

    assert page.structure_problems() == []
    doc = page.doc
    assert doc.find("h1").text() == "Gas emergency reports: March 2024"
    meta = doc.find("p", class_="report-meta").text()
    assert "1 March 2024 00:00 GMT to 1 April 2024 00:00 BST (743 hours)" in meta
    assert doc.find("link", href="/static/css/reports.css") is not None
    assert "@media print" in Path(finders.find("css/reports.css")).read_text()

    standard = doc.find("table", class_="figures")
    rows = [cells(row) for row in standard.find("tbody").find_all("tr")]
    assert rows == [
        ["Uncontrolled within 1 hour", "10", "7", "2", "1", "0", "70.00%", "Missed"],
        ["Controlled within 2 hours", "3", "3", "0", "0", "0", "100.00%", "Met"],
    ]
    misses = [cells(row) for row in doc.find("table", class_="misses").find("tbody").find_all("tr")]
    assert [row[1] for row in misses] == ["Uncontrolled"] * 3
    assert misses[0][2:7] == ["2 Mar 03:00 GMT", "2 Mar 04:00 GMT", "2 Mar 03:10 GMT", "2 Mar 04:20 GMT", "20.0 min"]
    assert misses[0][7].startswith("Engineer delayed by a road closure on the A6 (Dana Dispatcher, 2 Mar 08:00)")
    assert misses[1][7] == misses[2][7] == "No reason recorded"
    assert misses[2][5] == "Not attended"
    assert "stood down as not an emergency is left out" in doc.find("section").text()

    # The chart: Feb (uncontrolled), Mar (both) and Apr (uncontrolled) have figures; 244 px is 100%.
    chart = doc.find("svg", class_="chart")
    assert chart.attrs["role"] == "img"
    bars = chart.find_all("rect")
    assert [bar.find("title").text() for bar in bars] == [
        "February 2024, uncontrolled: 100.00% (1 of 1)",
        "March 2024, uncontrolled: 70.00% (7 of 10)",
        "March 2024, controlled: 100.00% (3 of 3)",
        "April 2024, uncontrolled: 100.00% (1 of 1)",
    ]
    assert [bar.attrs["height"] for bar in bars] == ["244.0", "170.8", "244.0", "244.0"]
    assert chart.find("text", class_="target-label").text() == "97% target"
    year = doc.find("table", class_="year")
    march = next(row for row in year.find("tbody").find_all("tr") if "current" in row.classes)
    assert cells(march) == ["March 2024", "7 / 10", "70.00% below 97%", "3 / 3", "100.00%"]
    assert cells(year.find("tfoot").find("tr")) == ["Year", "9 / 12", "75.00%", "3 / 3", "100.00%"]

    summary = doc.find("table", class_="bands")
    assert [cells(row) for row in summary.find("tbody").find_all("tr")] == [
        ["Weekday, business hours", "1", "0", "0", "0", "3", "1", "5", "85.0 min", "67.5 min"],
        ["Weekday, after hours", "1", "2", "0", "1", "0", "0", "4", "17.5 min", "26.3 min"],
        ["Weekend or holiday", "0", "1", "2", "0", "1", "0", "4", "35.5 min", "44.0 min"],
    ]
    assert cells(summary.find("tfoot").find("tr")) == [
        "All calls",
        "2",
        "3",
        "2",
        "1",
        "4",
        "1",
        "13",
        "35.5 min",
        "45.9 min",
    ]
    response_times = doc.find("section", **{"aria-labelledby": "response-times"}).text()
    assert "Holidays this month: Good Friday (29 Mar)." in response_times
    assert "Signed (responsible official):" in response_times

    review = doc.find("section", **{"aria-labelledby": "review-make-safe"})
    text = review.text()
    assert "14 records: 10 reviewed in time, 3 reviewed late, 1 not reviewed and overdue, 0 not yet due." in text
    assert "13 emergencies: 11 made safe in time, 1 made safe late, 1 not made safe and overdue" in text
    late_reviews, unsafe = review.find_all("table")
    assert [cells(row)[4] for row in late_reviews.find("tbody").find_all("tr")] == ["0.1", "1.0", "746.0", "0.5"]
    assert cells(late_reviews.find("tbody").find_all("tr")[3])[2:4] == ["Tue 2 Apr 10:00 BST", "Tue 2 Apr 10:30 BST"]
    unsafe_rows = [cells(row) for row in unsafe.find("tbody").find_all("tr")]
    assert [row[3:5] for row in unsafe_rows] == [["Sun 17 Mar 03:00 GMT", "13.00"], ["Not made safe", "\N{EN DASH}"]]
    assert unsafe_rows[0][5].startswith("Leak under the road: excavation before isolation")

    # Every figure links to its CSV, every record to its request, every day to its log.
    hrefs = [a.attrs["href"] for a in doc.find_all("a")]
    assert "/api/admin/emergency-reports/monthly-summary/csv/?month=2024-03" in hrefs
    assert "/api/admin/emergency-reports/standard-of-service/csv/?year=2024" in hrefs
    assert "/staff/emergency-reports/daily-log/?date=2024-03-31" in hrefs
    assert sum(href.startswith("/staff/requests/") for href in hrefs) == 3 + 4 + 2


def test_the_daily_log_page_lasts_23_hours_on_the_day_the_clocks_go_forward(agent):
    sim = simulate_march_2024()
    client = logged_in(agent)

    with travel(APRIL_15):
        sunday = client.page(DAY_PAGE, {"date": "2024-03-31"})
        thursday = client.page(DAY_PAGE, {"date": "2024-03-14"})

    assert sunday.structure_problems() == []
    assert sunday.doc.find("h1").text() == "Daily log of gas emergency reports: Sunday 31 March 2024"
    assert "(23 hours: the clocks changed)" in sunday.doc.find("p", class_="report-meta").text()
    (row,) = sunday.doc.find("table", class_="log").find("tbody").find_all("tr")
    assert cells(row)[2:] == [
        "Gas Leak uncontrolled · api",
        "00:50:00 GMT",
        "00:55:00 GMT",
        "02:21:00 BST",
        "02:40:00 BST",
        "31.0 min",
        "Enid Engineer",
    ]
    assert cells(row)[1] == "N Gas Street"
    (row,) = thursday.doc.find("table", class_="log").find("tbody").find_all("tr")
    assert "corrected" in cells(row)[0] and cells(row)[5] == "20:55:00 GMT"
    hrefs = [a.attrs["href"] for a in sunday.doc.find_all("a")]
    assert "/api/admin/emergency-reports/daily-log/csv/?date=2024-03-31" in hrefs
    assert f"/staff/requests/{sim.request_ids['N']}/" in hrefs
    assert "?date=2024-04-01" in hrefs and "?date=2024-03-30" in hrefs


def test_without_a_period_the_pages_show_the_current_local_month_and_day(agent):
    client = logged_in(agent)
    # Sunday 31 March 23:30 UTC is already Monday 1 April, 00:30 BST, in London.
    with travel(utc(2024, 3, 31, 23, 30)):
        month = client.page(MONTH_PAGE)
        day = client.page(DAY_PAGE)
    assert month.doc.find("h1").text() == "Gas emergency reports: April 2024"
    assert month.value("month") == "2024-04"
    assert day.doc.find("h1").text() == "Daily log of gas emergency reports: Monday 1 April 2024"
    assert "No emergency reports were received this day." in day.doc.text()


@pytest.mark.parametrize(
    ("path", "params", "error"),
    [
        (MONTH_PAGE, {"month": "2024-13"}, "Use YYYY-MM, e.g. 2024-03 (years 1970 to 2999)."),
        (MONTH_PAGE, {"month": "2024-03", "colour": "red"}, "Unknown parameter: this report takes month=YYYY-MM."),
        (DAY_PAGE, {"date": "2024-02-30"}, "2024-02-30 is not a date in the calendar."),
    ],
)
def test_a_bad_period_is_a_400_page_that_says_what_to_give(agent, path, params, error):
    page = logged_in(agent).page(path, params, status=400)
    assert error in page.error_summary()
    assert page.structure_problems() == []


def test_the_pages_are_for_agents_and_admins_and_linked_from_the_console(agent, admin_user, customer, engineer, client):
    for path in (MONTH_PAGE, DAY_PAGE):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, login_redirect(path))
        assert logged_in(customer).get(path).status_code == 403
        assert logged_in(engineer).get(path).status_code == 403
        assert logged_in(admin_user).get(path).status_code == 200

    queue = logged_in(agent).page("/staff/")
    assert queue.doc.find("a", href=MONTH_PAGE).text() == "Emergency reports"
    portal = logged_in(customer).page("/requests/")
    assert portal.doc.find("a", href=MONTH_PAGE) is None
