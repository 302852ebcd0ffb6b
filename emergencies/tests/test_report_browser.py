"""The printable report page in a real browser (Debian's Chromium): it loads only local assets, passes
axe-core, draws its chart without JavaScript, and prints without the console's navigation."""

from datetime import timedelta

import pytest
import time_machine

from accounts.models import User
from testing.browser import SCREENSHOTS, check_page, login, visible_text
from testing.emergency_scenarios import simulate_march_2024, utc
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sessions_outlast_the_simulation(settings):
    settings.SESSION_COOKIE_AGE = int(timedelta(days=90).total_seconds())


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_month_report_page_on_a_desktop_and_in_print(open_browser, javascript):
    simulate_march_2024()
    staff = UserFactory(username="reader", name="Rita Reader", role=User.Role.AGENT)
    session = open_browser("desktop", javascript=javascript)
    # The server reads the reports on 15 April 2024 (the browser keeps its own clock).
    with time_machine.travel(utc(2024, 4, 15, 12, 0)):
        login(session, staff)
        _month_report_on_a_desktop_and_in_print(session, javascript)


def _month_report_on_a_desktop_and_in_print(session, javascript):
    page = session.page
    page.get_by_role("link", name="Emergency reports").click()
    page.get_by_label("Month", exact=True).fill("2024-03")
    assert session.submit(page.get_by_role("button", name="Show")) == 200

    assert page.get_by_role("heading", level=1).inner_text() == "Gas emergency reports: March 2024"
    chart = page.get_by_role("img", name="Emergencies attended within the standard, by month: 2024")
    assert chart.is_visible()
    assert chart.locator("rect").count() == 4
    assert chart.bounding_box()["width"] > 600
    text = visible_text(page)
    assert "70.00%" in text and "Generated 15 April 2024, 13:" in text and "746.0" in text
    check_page(session, f"emergency-reports-{'js' if javascript else 'nojs'}")

    page.emulate_media(media="print")
    for hidden in (".site-header", ".emergency-banner", ".report-controls", ".daily-logs"):
        assert not page.locator(hidden).first.is_visible(), f"{hidden} is printed"
    assert chart.is_visible()
    assert page.locator(".signature").is_visible()
    if javascript:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "emergency-reports-print.png", full_page=True)
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_daily_log_page_from_the_month_page(open_browser):
    simulate_march_2024()
    staff = UserFactory(username="reader", name="Rita Reader", role=User.Role.ADMIN)
    session = open_browser("phone")
    page = session.page
    login(session, staff)
    assert session.goto("/staff/emergency-reports/?month=2024-03") == 200

    page.get_by_role("link", name="Sun 31").click()

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Daily log of gas emergency reports: Sunday 31 March 2024"
    )
    text = visible_text(page)
    assert "23 hours: the clocks changed" in text
    assert "02:21:00 BST" in text and "00:50:00 GMT" in text
    check_page(session, "emergency-daily-log")
