"""Gas emergencies in a real browser: a report made on a phone reaches the dispatch board, and the
engineer's taps on a phone record the times (issue 11's "done when").

Debian's Chromium, driven by Playwright against the live server (helpers in
testing/browser.py): phones are 390x844 touch screens (an iPhone's size), the dispatch
desk a 1280x900 desktop. Every page is screenshotted and scanned with axe-core (a serious or
critical violation fails the test). One scenario runs with JavaScript off throughout.
"""

import re
import struct
import zlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from emergencies import services
from emergencies.models import Emergency
from testing.browser import SCREENSHOTS, BrowserSession, check_page, login, visible_text
from testing.factories import UserFactory, gas_leak, make_dispatcher, report

POSITION = {"latitude": 51.501364, "longitude": -0.14189}
# A refresh this short keeps the test quick; the setting's default is 30 seconds.
REFRESH_SECONDS = 1
WAIT_FOR_REFRESH_MS = 8_000


def readme_screenshot(session: BrowserSession, name: str) -> None:
    """A small PNG of what is on screen (one pixel per CSS pixel), for the README's docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    session.page.screenshot(path=SCREENSHOTS / f"readme-{session.viewport}-{name}.png", scale="css")


def engineer_user(**kwargs) -> User:
    return UserFactory(role=User.Role.ENGINEER, **{"username": "enid", "name": "Enid Engineer", **kwargs})


def agent_user() -> User:
    return UserFactory(username="agnes", name="Agnes Agent", role=User.Role.AGENT)


def answer(page, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def board_row(page, reference: str):
    return page.get_by_role("row", name=re.compile(reference))


def test_an_anonymous_report_made_on_a_phone_appears_on_the_dispatch_board(open_browser, live_server):
    engineer = engineer_user()
    reporter = open_browser("phone")
    page = reporter.page
    reporter.context.grant_permissions(["geolocation"], origin=live_server.url)
    reporter.context.set_geolocation(POSITION)

    # From the red banner on any page to the report; the safety instructions come first.
    assert reporter.goto("/") == 200
    page.get_by_role("complementary", name="Gas emergency").get_by_role(
        "link", name="Report a gas emergency online"
    ).click()
    expect(page).to_have_url(re.compile(r"/emergency/$"))
    notice = page.locator("main .safety-notice")
    expect(notice).to_be_in_viewport()
    expect(notice.get_by_role("link", name=f"Call {settings.EMERGENCY_PHONE_NUMBER}")).to_be_visible()
    comes_first = notice.evaluate(
        """notice => ['h1', 'form', 'fieldset'].every(selector =>
            notice.compareDocumentPosition(document.querySelector('main ' + selector))
            & Node.DOCUMENT_POSITION_FOLLOWING)"""
    )
    assert comes_first, "the safety notice must precede the heading and every question"
    check_page(reporter, "emergency-report")
    readme_screenshot(reporter, "emergency-report")

    # "Use my location" fills the position (a few lines of local script).
    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_label("Latitude")).to_have_value("51.501364")
    expect(page.get_by_label("Longitude")).to_have_value("-0.141890")
    expect(page.get_by_text("Position filled in")).to_be_visible()
    page.get_by_label("Your phone number").fill("07700 900 123")
    page.get_by_label("Where exactly?").fill("By the gates, smell from the drain")
    answer(page, "Is the smell inside a building or outside?", "Outside")
    answer(page, "Can you still smell gas?", "Yes")
    answer(page, "Has the gas been turned off at the meter?", "I don't know")
    answer(page, "Is anyone there elderly, disabled, ill, or a young child?", "Yes")
    reporter.submit(page.get_by_role("button", name="Send the report"))

    # The confirmation repeats the notice and gives the reference.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Report received")
    expect(page.locator("main .safety-notice")).to_be_in_viewport()
    reference = page.locator("strong.reference").inner_text()
    assert re.fullmatch(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}", reference), reference
    check_page(reporter, "emergency-reported")
    readme_screenshot(reporter, "emergency-reported")
    emergency = Emergency.objects.get(reference=reference)
    assert (emergency.channel, emergency.latitude, emergency.longitude) == ("web", 51.501364, -0.14189)
    assert (emergency.inside, emergency.gas_escaping, emergency.meter_off) == (False, True, None)
    assert emergency.service_request.customer is None and emergency.is_vulnerable

    # Meanwhile: a phoned-in report now 10 minutes late, and one already dispatched.
    agent = agent_user()
    late = services.emergency_report(
        reporter=None,
        request_type=gas_leak(),
        phone="07700900555",
        address="70 Late Lane",
        channel="phone",
        entered_by=agent,
        received_at=timezone.now() - timedelta(minutes=70),
    )
    on_its_way = report(address="5 Van Street")
    services.emergency_dispatch(acting_user=agent, emergency=on_its_way, engineer=engineer)

    # The dispatcher, on a desktop, sees it on the board: undispatched, on time, vulnerable.
    dispatcher = open_browser("desktop")
    login(dispatcher, agent)
    desk = dispatcher.page
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Dispatch board").click()
    expect(desk.get_by_role("heading", name="Dispatch board", level=1)).to_be_visible()
    row = board_row(desk, reference)
    expect(row).to_contain_text("Not dispatched")
    expect(row).to_contain_text("On time")
    expect(row).to_contain_text("Vulnerable")
    expect(row).to_contain_text("Position 51.501364, -0.14189")
    # Undispatched first, then by the time left on the clock.
    expect(desk.locator("tbody tr td:first-child a")).to_have_text([late.reference, reference, on_its_way.reference])
    expect(board_row(desk, late.reference)).to_contain_text("Late")
    expect(board_row(desk, late.reference).locator("[data-clock-text]")).to_have_text(re.compile(r"late by 0:1\d:\d\d"))
    expect(board_row(desk, on_its_way.reference)).to_contain_text("Enid Engineer")
    check_page(dispatcher, "dispatch-board")
    readme_screenshot(dispatcher, "dispatch-board")

    # From the board to the record; dispatch the engineer.
    row.get_by_role("link", name=reference).click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(desk.locator("dl.facts").first).to_contain_text("By the gates, smell from the drain")
    desk.get_by_label("Engineer", exact=True).select_option(label="Enid Engineer")
    dispatcher.submit(desk.get_by_role("button", name="Dispatch", exact=True))
    expect(desk.get_by_role("status")).to_contain_text("Engineer dispatched.")
    expect(desk.locator(".record")).to_contain_text("Engineer dispatched: Enid Engineer")
    check_page(dispatcher, "staff-emergency")
    readme_screenshot(dispatcher, "staff-emergency")
    desk.get_by_role("link", name="← Dispatch board").click()
    expect(board_row(desk, reference)).to_contain_text("Enid Engineer")
    emergency.refresh_from_db()
    assert emergency.stage == "dispatched" and emergency.engineer.username == "enid"


def test_the_engineers_taps_on_a_phone_record_the_times(open_browser, photo_path):
    engineer = engineer_user()
    emergency = report(address="12 Cooker Lane", location_details="Kitchen")
    services.emergency_dispatch(acting_user=make_dispatcher(), emergency=emergency, engineer=engineer)
    field = open_browser("phone")
    page = field.page

    # Engineers log in through the normal login page and land on their page.
    login(field, engineer)
    expect(page).to_have_url(re.compile(r"/engineer/$"))
    check_page(field, "engineer-home")
    loaded = []
    page.on("response", lambda response: loaded.append(response))
    page.get_by_role("link", name=re.compile(emergency.reference)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(emergency.reference)
    # For a slow connection: the page, one stylesheet and two small scripts, all local, under 40 kB.
    page.wait_for_load_state("load")
    assert sorted(response.request.resource_type for response in loaded) == [
        "document",
        "script",
        "script",
        "stylesheet",
    ]
    weight = sum(len(response.body()) for response in loaded)
    assert weight < 40_000, f"the engineer's page weighs {weight} bytes"
    expect(page.get_by_text("12 Cooker Lane")).to_be_visible()
    check_page(field, "engineer-emergency")
    readme_screenshot(field, "engineer-emergency")

    times = []
    for label, column, next_buttons in (
        ("On my way", "en_route_at", ["Arrived"]),
        ("Arrived", "arrived_at", ["Made safe"]),
        ("Made safe", "made_safe_at", ["Cleared"]),
        ("Cleared", "cleared_at", []),
    ):
        button = page.get_by_role("button", name=label, exact=True)
        box = button.bounding_box()
        assert box["height"] >= 60 and box["width"] >= 300, f"{label} is not a large button: {box}"
        before = timezone.now()
        field.submit(button)
        expect(page.get_by_role("status")).to_contain_text(f"Recorded: {label} at ")
        emergency.refresh_from_db()
        when = getattr(emergency, column)
        assert when is not None and before <= when <= timezone.now(), (column, before, when)
        times.append(when)
        buttons = page.locator("form.step-form button")
        expect(buttons).to_have_text(next_buttons)
        if label == "Made safe":
            # A photo and advice, before clearing.
            page.get_by_label("Choose photos").set_input_files(photo_path)
            field.submit(page.get_by_role("button", name="Add photos"))
            expect(page.get_by_role("link", name="meter.png")).to_be_visible()
            page.get_by_role("group", name="What is it?").get_by_label("Advice given", exact=False).check()
            page.get_by_label("What happened").fill("Keep the windows open tonight.")
            field.submit(page.get_by_role("button", name="Add", exact=True))
            expect(page.locator(".record")).to_contain_text("Keep the windows open tonight.")
            check_page(field, "engineer-made-safe")
    assert times == sorted(times)
    expect(page.get_by_text("Nothing more to record")).to_be_visible()
    assert emergency.stage == "cleared" and emergency.closed_at == emergency.cleared_at
    assert [event.actor for event in emergency.events.filter(kind__in=["en_route", "arrived", "made_safe"])] == [
        engineer
    ] * 3


def test_the_board_refreshes_itself_and_its_clocks_run(open_browser, settings):
    settings.EMERGENCY_BOARD_REFRESH_SECONDS = REFRESH_SECONDS
    dispatcher = open_browser("desktop")
    login(dispatcher, agent_user())
    desk = dispatcher.page
    dispatcher.goto("/staff/emergencies/")
    expect(desk.get_by_text("No open emergencies.")).to_be_visible()
    desk.evaluate("window.sameDocument = true")

    # Reported elsewhere (a 50-minute-old phone call, so its clock is at risk).
    emergency = services.emergency_report(
        reporter=None,
        request_type=gas_leak(),
        phone="07700900555",
        address="9 Refresh Road",
        channel="phone",
        entered_by=make_dispatcher(),
        received_at=timezone.now() - timedelta(minutes=50),
    )

    row = board_row(desk, emergency.reference)
    expect(row).to_be_visible(timeout=WAIT_FOR_REFRESH_MS)
    assert desk.evaluate("window.sameDocument") is True, "the board was reloaded, not refreshed in place"
    expect(row).to_contain_text("At risk")
    clock = row.locator("[data-clock-text]")
    first = clock.inner_text()
    assert re.fullmatch(r"0:(09|10):\d\d left", first), first
    expect(clock).not_to_have_text(first, timeout=3_000)  # it ticks
    check_page(dispatcher, "dispatch-board-refreshed")


def test_report_board_and_taps_work_with_javascript_off(open_browser, settings):
    settings.EMERGENCY_BOARD_REFRESH_SECONDS = REFRESH_SECONDS
    engineer = engineer_user()

    # The report: no location button without script; the address is enough.
    reporter = open_browser("phone", javascript=False)
    page = reporter.page
    reporter.goto("/emergency/")
    expect(page.get_by_role("button", name="Use my location")).to_be_hidden()
    page.get_by_label("Your phone number").fill("07700900124")
    page.get_by_label("Address or place").fill("3 Quiet Street")
    answer(page, "Can you still smell gas?", "No")
    answer(page, "Has the gas been turned off at the meter?", "Yes")
    reporter.submit(page.get_by_role("button", name="Send the report"))
    reference = page.locator("strong.reference").inner_text()
    check_page(reporter, "nojs-emergency-reported")
    assert Emergency.objects.get(reference=reference).classification == "controlled"

    # The board without script: the meta refresh brings in a new report.
    dispatcher = open_browser("desktop", javascript=False)
    login(dispatcher, agent_user())
    desk = dispatcher.page
    dispatcher.goto("/staff/emergencies/")
    expect(board_row(desk, reference)).to_contain_text("On time")
    later = report(address="4 Later Lane")
    expect(board_row(desk, later.reference)).to_be_visible(timeout=WAIT_FOR_REFRESH_MS)
    check_page(dispatcher, "nojs-dispatch-board")
    board_row(desk, reference).get_by_role("link", name=reference).click()
    desk.get_by_label("Engineer", exact=True).select_option(label="Enid Engineer")
    dispatcher.submit(desk.get_by_role("button", name="Dispatch", exact=True))
    expect(desk.get_by_role("status")).to_contain_text("Engineer dispatched.")

    # The engineer's taps: plain form posts.
    field = open_browser("phone", javascript=False)
    login(field, engineer)
    field.page.get_by_role("link", name=re.compile(reference)).click()
    for label in ("On my way", "Arrived"):
        field.submit(field.page.get_by_role("button", name=label, exact=True))
        expect(field.page.get_by_role("status")).to_contain_text(f"Recorded: {label} at ")
    check_page(field, "nojs-engineer-emergency")
    emergency = Emergency.objects.get(reference=reference)
    assert emergency.stage == "on_site" and emergency.en_route_at <= emergency.arrived_at
    assert "Made safe" in visible_text(field.page)


@pytest.fixture
def photo_path(tmp_path):
    """A valid 1x1 PNG file: signature, header, one compressed scanline, end."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    path = tmp_path / "meter.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00"))
        + chunk(b"IEND", b"")
    )
    return path
