"""Submitting a request through the pages: two steps, the safety notice first for an emergency.

Through the real login form, session and CSRF. Moved from test_pages.py (split by subject).
"""

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from testing.page_client import Page
from testing.pages import (
    PDF,
    PNG,
    logged_in,
    png,
    portal_url,
    timeline,
    type_id,
)
from testing.storage import stored_files
from utility_services.models import Attachment, Priority, RequestEvent, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db


# --- submitting a request ---------------------------------------------------------------------


def test_choose_type_lists_the_active_types_and_continues_to_the_details(customer_page):
    RequestType.objects.filter(name="Other").update(is_active=False)
    page = customer_page.page("/requests/new/")
    offered = {int(radio.attrs["value"]) for radio in page.doc.find_all("input", type_="radio", name="request_type")}

    response = customer_page.submit("/requests/new/", {"request_type": type_id("Billing Query")})

    assert offered == set(RequestType.objects.filter(is_active=True).values_list("pk", flat=True))
    assert type_id("Other") not in offered
    assert (response.status_code, response["Location"]) == (302, f"/requests/new/{type_id('Billing Query')}/")


@pytest.mark.parametrize("choice", [None, "999999"])
def test_choose_type_without_a_valid_choice_shows_an_error(customer_page, choice):
    response = customer_page.post("/requests/new/", {} if choice is None else {"request_type": choice})

    assert response.status_code == 200
    assert Page(response).doc.find("p", class_="error", id="id_request_type_error") is not None


def test_details_of_an_inactive_or_unknown_type_are_404(customer_page):
    RequestType.objects.filter(name="Other").update(is_active=False)

    assert customer_page.get(f"/requests/new/{type_id('Other')}/").status_code == 404
    assert customer_page.get("/requests/new/999999/").status_code == 404
    response = customer_page.post(f"/requests/new/{type_id('Other')}/", {"details": "x"})
    assert response.status_code == 404
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("name", ["Gas Leak", "Carbon Monoxide"])
def test_emergency_type_shows_the_safety_notice_before_the_form(customer_page, settings, name):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"

    page = customer_page.page(f"/requests/new/{type_id(name)}/")

    notice = page.main.find("section", class_="safety-notice")
    assert notice is not None
    assert "0800 000 4242" in notice.text()
    assert "leave the property" in notice.text().lower()
    assert notice.find("a", href="tel:08000004242") is not None
    assert page.position(notice) < page.position(page.form()) < page.position(page.control("details"))
    assert page.position(notice) < page.position(page.doc.find("h1"))


def test_ordinary_type_has_no_safety_notice(customer_page):
    page = customer_page.page(f"/requests/new/{type_id('Maintenance')}/")

    assert page.doc.find("section", class_="safety-notice") is None


@pytest.mark.parametrize(("name", "priority"), [("Maintenance", Priority.NORMAL), ("Gas Leak", Priority.EMERGENCY)])
def test_submit_creates_the_request_and_confirms_with_its_reference(customer_page, customer, sent, name, priority):
    with sent():
        response = customer_page.submit(
            f"/requests/new/{type_id(name)}/", {"details": "Hissing by the meter", "files": [png(), png("b.png")]}
        )

    created = ServiceRequest.objects.get()
    assert (response.status_code, response["Location"]) == (302, portal_url(created))
    assert (created.customer, created.request_type.name, created.details) == (customer, name, "Hissing by the meter")
    assert (created.status, created.priority) == ("Pending", priority)
    # An emergency also opens its emergency record, whose receipt is on the timeline.
    receipt = [("emergency", customer.pk)] if priority == Priority.EMERGENCY else []
    assert [row[:2] for row in timeline(created)] == [
        ("submitted", customer.pk),
        ("attachment", customer.pk),
        ("attachment", customer.pk),
        *receipt,
    ]
    assert sorted(created.attachments.values_list("original_name", flat=True)) == ["b.png", "meter.png"]
    detail = customer_page.page(response["Location"])
    assert ("success", f"Your request {created.reference} was submitted. Quote this reference if you call us.") in (
        detail.messages()
    )
    assert "Hissing by the meter" in detail.text()
    oncall = [email for email in mail.outbox if email.to == list(django_settings.EMERGENCY_ONCALL_EMAIL)]
    assert len(oncall) == (1 if priority == Priority.EMERGENCY else 0)


def test_emergency_detail_repeats_the_safety_notice(customer_page, settings):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    response = customer_page.submit(f"/requests/new/{type_id('Carbon Monoxide')}/", {"details": "Alarm going off"})

    detail = customer_page.page(response["Location"])

    notice = detail.main.find("section", class_="safety-notice")
    assert notice is not None and "0800 000 4242" in notice.text()
    assert detail.position(notice) < detail.position(detail.doc.find("h1"))
    ordinary = customer_page.submit(f"/requests/new/{type_id('Maintenance')}/", {"details": "Meter is ticking"})
    assert customer_page.page(ordinary["Location"]).doc.find("section", class_="safety-notice") is None


BAD_UPLOADS = {
    "wrong-type": ([("photo.png", b"Just some words, not a photo.\n")], {}, "is not a JPEG, PNG or PDF file"),
    "too-big": ([("big.png", PNG + b"\x00" * 2000)], {"ATTACHMENT_MAX_BYTES": 1024}, "the limit is"),
    "too-many": ([("a.png", PNG), ("b.pdf", PDF)], {"ATTACHMENT_MAX_PER_REQUEST": 1}, "at most 1 attachments"),
    "one-bad-of-two": ([("a.png", PNG), ("b.pdf", b"MZ\x90\x00")], {}, "b.pdf is not a JPEG"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_bad_upload_keeps_the_details_shows_the_error_by_the_files_and_stores_nothing(customer_page, settings, case):
    files, limits, error = BAD_UPLOADS[case]
    for setting, value in limits.items():
        setattr(settings, setting, value)
    before = stored_files()
    details = "Smell near the boiler,\nsince this morning. Call after 5pm."

    response = customer_page.submit(
        f"/requests/new/{type_id('Maintenance')}/",
        {"details": details, "files": [SimpleUploadedFile(n, c) for n, c in files]},
    )

    assert response.status_code == 200
    page = Page(response)
    assert page.value("details") == details
    assert any(error in message for message in page.field_errors("files")), page.field_errors("files")
    assert (ServiceRequest.objects.count(), Attachment.objects.count(), RequestEvent.objects.count()) == (0, 0, 0)
    assert stored_files() == before


def test_submit_without_details_shows_the_error_by_the_field(customer_page):
    response = customer_page.submit(f"/requests/new/{type_id('Maintenance')}/", {"details": "  "})

    assert response.status_code == 200
    assert Page(response).field_errors("details") == ["This field is required."]
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/requests/new/{Maintenance}/", {"details": ""}, "details"),
        ("/requests/{mine}/", {"action": "comment", "comment-body": ""}, "comment-body"),
        ("/staff/requests/{mine}/", {"action": "note", "note-body": ""}, "note-body"),
    ],
    ids=["submit", "comment", "staff-note"],
)
def test_field_error_is_tied_to_its_input_by_aria_describedby(request, mine, path, data, field):
    user = "agent" if path.startswith("/staff/") else "customer"
    browser = logged_in(request.getfixturevalue(user))
    path = path.format(mine=mine.pk, Maintenance=type_id("Maintenance"))

    page = Page(browser.submit(path, data, action=data.get("action")))

    control = page.control(field)
    described_by = control.attrs.get("aria-describedby", "").split()
    error_ids = [p.attrs.get("id") for p in control.closest("div", class_="field").find_all("p", class_="error")]
    assert error_ids, "no error shown next to the field"
    # A screen reader reads what aria-describedby names when the field gets focus.
    assert set(error_ids) <= set(described_by), f"aria-describedby={described_by}, error ids={error_ids}"
    assert page.structure_problems() == []
