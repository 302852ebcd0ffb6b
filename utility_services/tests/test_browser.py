"""The customer portal and the staff console, used in a real browser at phone and desktop sizes.

Debian's Chromium, driven by Playwright against the live server (helpers in
testing/browser.py). Every key page is screenshotted to test-artifacts/screenshots/
and scanned with axe-core; a serious or critical violation fails the test.
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
from testing.browser import check_page, login, visible_text
from testing.factories import ServiceRequestFactory, UserFactory
from utility_services.models import RequestType, ServiceRequest

STRONG_PASSWORD = "Blue-Kettle-Harbour-42"
PUBLIC_NOTE = "An engineer will visit on Thursday morning."
INTERNAL_NOTE = "Customer sounded unsure; check the meter serial on site."


def png_bytes() -> bytes:
    """A valid 1x1 PNG: signature, IHDR, one compressed scanline, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    scanline = zlib.compress(b"\x00\xff\x80\x00")  # filter byte, then one orange pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", scanline) + chunk(b"IEND", b"")


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "meter.png"
    path.write_bytes(png_bytes())
    return path


def emergency_phone() -> str:
    return settings.EMERGENCY_PHONE_NUMBER


def status_badge(page):
    return page.locator("dd .badge").first


@pytest.mark.parametrize(("viewport", "ending"), [("phone", "cancel"), ("desktop", "reopen")])
def test_customer_registers_submits_with_photo_and_follows_the_agents_work(open_browser, photo, viewport, ending):
    customer = open_browser(viewport)
    page = customer.page

    # Home: what the service is, and the emergency number without scrolling.
    assert customer.goto("/") == 200
    expect(page.get_by_role("heading", name="Gas Utility Service", level=1)).to_be_visible()
    banner = page.get_by_role("complementary", name="Gas emergency")
    expect(banner).to_contain_text(emergency_phone())
    expect(banner).to_be_in_viewport()
    check_page(customer, "home")

    # Register; a mistake is shown next to its field and what was typed is kept.
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/accounts/register/$"))
    check_page(customer, "register")
    page.get_by_label("Username").fill("priya")
    page.get_by_label("Full name").fill("Priya Patel")
    page.get_by_label("Email address").fill("priya@example.com")
    page.get_by_label("Phone number").fill("+441632960123")
    page.get_by_label("Address of the property").fill("1 Gasworks Lane\nLeeds LS1 1AA")
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Password again").fill(STRONG_PASSWORD + "x")
    assert customer.submit(page.get_by_role("button", name="Create account")) == 200
    password2 = page.get_by_label("Password again")
    expect(page.locator(".field", has=password2).locator(".error")).to_contain_text("didn't match")
    expect(password2).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").get_by_role("link", name=re.compile("Password again"))).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("priya")
    expect(page.get_by_label("Address of the property")).to_have_value("1 Gasworks Lane\nLeeds LS1 1AA")
    # site.js moves focus to the error summary so a screen reader reads it first.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    check_page(customer, "register-errors")
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Password again").fill(STRONG_PASSWORD)
    customer.submit(page.get_by_role("button", name="Create account"))
    # Not logged in at once (an address that already has an account must get the same answer).
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_contain_text("Registration successful. You can now log in.")
    page.get_by_label("Username").fill("priya")
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    customer.submit(page.get_by_role("button", name="Log in"))
    expect(page).to_have_url(re.compile(r"/requests/$"))
    expect(page.get_by_text("You have no requests yet.")).to_be_visible()

    # Submit a Maintenance request with a photo.
    page.get_by_role("link", name="Submit a new request").click()
    expect(page.get_by_role("heading", name="Submit a request")).to_be_visible()
    check_page(customer, "choose-type")
    page.get_by_label("Maintenance", exact=True).check()
    customer.submit(page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", name="Maintenance", level=1)).to_be_visible()
    expect(page.locator(".safety-notice")).to_have_count(0)
    check_page(customer, "submit-form")
    page.get_by_label("Describe the problem or request").fill("The meter display is blank since Monday.")
    page.get_by_label("Attach photos or documents").set_input_files(photo)
    customer.submit(page.get_by_role("button", name="Submit request"))
    expect(page.get_by_role("status")).to_contain_text("was submitted")
    reference = page.locator("h1 .hint").inner_text()
    assert re.fullmatch(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}", reference), reference
    expect(status_badge(page)).to_have_text("Pending")
    expect(page.get_by_role("link", name="meter.png")).to_be_visible()
    check_page(customer, "request-detail")

    # It is in "My requests".
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    row = page.get_by_role("row", name=re.compile(reference))
    expect(row).to_contain_text("Maintenance")
    expect(row).to_contain_text("Pending")
    check_page(customer, "my-requests")

    # An agent, in their own browser, takes it from the queue.
    UserFactory(username="agnes", name="Agnes Agent", role=User.Role.AGENT)
    staff = open_browser(viewport)
    login(staff, User.objects.get(username="agnes"))
    desk = staff.page
    expect(desk).to_have_url(re.compile(r"/staff/$"))
    expect(desk.get_by_role("heading", name="Service request queue")).to_be_visible()
    check_page(staff, "staff-queue")
    desk.get_by_role("link", name=reference).click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(desk.get_by_text("The meter display is blank since Monday.")).to_be_visible()
    expect(desk.get_by_role("link", name="meter.png")).to_be_visible()
    desk.get_by_label("Status", exact=True).select_option("In Progress")
    desk.get_by_label("Assignee").select_option(label="Agnes Agent")
    staff.submit(desk.get_by_role("button", name="Save changes"))
    expect(desk.get_by_role("status")).to_contain_text("Request updated.")
    expect(status_badge(desk)).to_have_text("In Progress")
    for body, visibility in ((PUBLIC_NOTE, "Public"), (INTERNAL_NOTE, "Internal")):
        desk.get_by_label("Note", exact=True).fill(body)
        desk.get_by_role("radio", name=re.compile(f"^{visibility}:")).check()
        staff.submit(desk.get_by_role("button", name="Add note"))
        expect(desk.get_by_role("status")).to_contain_text("Note added.")
    internal_entry = desk.locator(".timeline li.internal", has_text=INTERNAL_NOTE)
    expect(internal_entry).to_contain_text("Internal")
    expect(desk.locator(".timeline li:not(.internal)", has_text=PUBLIC_NOTE)).to_be_visible()
    check_page(staff, "staff-request-detail")

    # The customer sees the public note and never the internal one (nor the internal assignment).
    page.get_by_role("link", name=reference).click()
    expect(status_badge(page)).to_have_text("In Progress")
    expect(page.get_by_text(PUBLIC_NOTE)).to_be_visible()
    assert INTERNAL_NOTE not in page.content()
    assert "Agnes Agent" in visible_text(page)  # who wrote the public note
    assert "Assigned" not in visible_text(page)
    check_page(customer, "request-detail-in-progress")

    if ending == "cancel":
        page.get_by_label("Reason").fill("A neighbour fixed the fuse.")
        customer.submit(page.get_by_role("button", name="Cancel request"))
        expect(page.get_by_role("status")).to_contain_text("Your request was cancelled.")
        expect(status_badge(page)).to_have_text("Cancelled")
        expect(page.get_by_role("button", name="Cancel request")).to_have_count(0)
        final_status = "Cancelled"
    else:
        desk.reload()
        desk.get_by_label("Status", exact=True).select_option("Resolved")
        desk.get_by_label("Resolution details").fill("Replaced the meter's display unit.")
        staff.submit(desk.get_by_role("button", name="Save changes"))
        expect(status_badge(desk)).to_have_text("Resolved")
        page.reload()
        expect(status_badge(page)).to_have_text("Resolved")
        expect(page.get_by_text("Replaced the meter's display unit.")).to_be_visible()
        page.get_by_label("Reason").fill("The display went blank again tonight.")
        customer.submit(page.get_by_role("button", name="Reopen request"))
        expect(page.get_by_role("status")).to_contain_text("Your request was reopened.")
        # Back to the agent who had it.
        expect(status_badge(page)).to_have_text("In Progress")
        final_status = "In Progress"
    assert ServiceRequest.objects.get(reference=reference).status == final_status


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_emergency_submission_shows_the_safety_notice_first_and_on_the_confirmation(open_browser, viewport):
    customer_user = UserFactory(username="erin", name="Erin Emergency")
    overdue = ServiceRequestFactory(
        submitted_at=timezone.now() - timedelta(days=5), due_at=timezone.now() - timedelta(days=2)
    )
    customer = open_browser(viewport)
    page = customer.page
    login(customer, customer_user)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="New request").click()
    gas_leak = page.get_by_label("Gas Leak")
    expect(page.locator("li", has=gas_leak)).to_contain_text("Emergency")
    gas_leak.check()
    customer.submit(page.get_by_role("button", name="Continue"))

    # The safety instructions come before anything else in the page's content, in view.
    notice = page.locator("main .safety-notice")
    expect(notice).to_be_visible()
    expect(notice).to_be_in_viewport()
    expect(notice).to_contain_text("leave the property")
    expect(notice.get_by_role("link", name=f"Call {emergency_phone()}")).to_have_attribute(
        "href", "tel:" + emergency_phone().replace(" ", "")
    )
    comes_first = notice.evaluate(
        """notice => ['h1', 'form'].every(selector =>
            notice.compareDocumentPosition(document.querySelector('main ' + selector))
            & Node.DOCUMENT_POSITION_FOLLOWING)"""
    )
    assert comes_first, "the safety notice must precede the heading and the form"
    notice_top = notice.bounding_box()["y"]
    assert notice_top < page.locator("main form").bounding_box()["y"]
    check_page(customer, "emergency-notice")

    page.get_by_label("Describe the problem or request").fill("Strong smell of gas in the kitchen. We are outside.")
    customer.submit(page.get_by_role("button", name="Submit request"))

    # The confirmation repeats the notice and the number.
    expect(page.get_by_role("status")).to_contain_text("was submitted")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gas Leak")
    notice = page.locator("main .safety-notice")
    expect(notice).to_be_visible()
    expect(notice).to_be_in_viewport()
    expect(notice).to_contain_text(f"call {emergency_phone()} now")
    expect(notice.get_by_role("link", name=f"Call {emergency_phone()}")).to_be_visible()
    expect(page.get_by_role("complementary", name="Gas emergency")).to_contain_text(emergency_phone())
    check_page(customer, "emergency-confirmation")
    emergency = ServiceRequest.objects.get(customer=customer_user)
    assert emergency.request_type == RequestType.objects.get(name="Gas Leak")

    # Staff see it at the top of the queue, above an overdue request.
    staff = open_browser(viewport)
    login(staff, UserFactory(role=User.Role.AGENT))
    rows = staff.page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(emergency.reference)
    expect(rows.nth(0)).to_contain_text("Emergency")
    expect(rows.nth(1)).to_contain_text(overdue.reference)
    expect(rows.nth(1)).to_contain_text("Overdue")
    check_page(staff, "staff-queue-emergency")


def test_field_errors_are_announced_with_their_field(open_browser):
    """A screen reader on an invalid input reads its error: Django points aria-describedby at "<id>_error"."""
    visitor = open_browser("desktop")
    page = visitor.page
    visitor.goto("/accounts/register/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password", exact=True).fill("short")
    visitor.submit(page.get_by_role("button", name="Create account"))
    full_name, password = page.get_by_label("Full name"), page.get_by_label("Password", exact=True)
    expect(full_name).to_have_attribute("aria-invalid", "true")
    expect(full_name).to_have_accessible_description(re.compile("This field is required"))
    expect(password).to_have_accessible_description(re.compile("too short"))


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_customer_gets_403_and_anonymous_gets_login_on_staff_pages(open_browser, viewport):
    customer_user = UserFactory(username="carol", name="Carol Customer")
    service_request = ServiceRequestFactory(customer=customer_user, details="Secret-ish details of Carol's meter.")
    staff_paths = ["/staff/", f"/staff/requests/{service_request.pk}/"]

    anonymous = open_browser(viewport)
    for path in staff_paths:
        assert anonymous.goto(path) == 200
        expect(anonymous.page).to_have_url(re.compile(r"/accounts/login/\?next=" + re.escape(path) + "$"))
        expect(anonymous.page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
        assert service_request.reference not in anonymous.page.content()
    check_page(anonymous, "login")

    customer = open_browser(viewport)
    login(customer, customer_user)
    page = customer.page
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue")).to_have_count(0)
    for path in staff_paths:
        assert customer.goto(path) == 403
        expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
        content = page.content()
        assert "Service request queue" not in content
        assert service_request.reference not in content
        assert service_request.details not in content
    check_page(customer, "forbidden")


def test_request_can_be_submitted_without_javascript(open_browser, photo, tmp_path):
    customer_user = UserFactory(username="nadia", name="Nadia NoScript")
    customer = open_browser("phone", javascript=False)
    page = customer.page
    login(customer, customer_user)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="New request").click()
    page.get_by_label("Maintenance", exact=True).check()
    customer.submit(page.get_by_role("button", name="Continue"))

    # A file that is not an image is refused next to its field; the description is kept.
    fake = tmp_path / "not-a-photo.png"
    fake.write_text("just text")
    details = "Pilot light keeps going out on the boiler."
    page.get_by_label("Describe the problem or request").fill(details)
    page.get_by_label("Attach photos or documents").set_input_files(fake)
    assert customer.submit(page.get_by_role("button", name="Submit request")) == 200
    files = page.get_by_label("Attach photos or documents")
    expect(page.locator(".field", has=files).locator(".error")).to_contain_text("not-a-photo.png is not a JPEG")
    expect(page.get_by_label("Describe the problem or request")).to_have_value(details)
    # Without JavaScript nothing moved the focus: the page itself carries the error.
    assert page.evaluate("document.activeElement.id") != "error-summary"
    check_page(customer, "nojs-submit-error")
    assert not ServiceRequest.objects.filter(customer=customer_user).exists()

    page.get_by_label("Attach photos or documents").set_input_files(photo)
    customer.submit(page.get_by_role("button", name="Submit request"))
    expect(page.get_by_role("status")).to_contain_text("was submitted")
    expect(page.get_by_role("link", name="meter.png")).to_be_visible()
    expect(page.get_by_text(details)).to_be_visible()
    check_page(customer, "nojs-request-detail")
    assert ServiceRequest.objects.get(customer=customer_user).attachments.count() == 1

    # Logging out is a plain form post.
    customer.submit(page.get_by_role("button", name="Log out"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
