"""The customer portal and the staff console, through the real login form, session and CSRF.

Who may open which page; submitting a request in two steps (safety notice first for an
emergency); the detail page's actions, which must do exactly what the API does (same
timeline rows, same emails); the staff queue and request page; the accessibility basics
of every page. Internal notes never reach a customer page.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from testing.factories import ServiceRequestFactory, request_in
from testing.marks import COMMITTED_DB
from testing.page_client import REFERENCE, Page, PageClient, login_redirect
from testing.service_requests import INVALID_FILTERS, snapshot
from utility_services import services
from utility_services.models import Attachment, Priority, RequestEvent, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
SECRET = "INTERNAL-ONLY: valve code 4471, customer was rude"
PUBLIC_NOTE = "An engineer will visit on Tuesday morning"
OPEN = ["Pending", "In Progress", "On Hold"]


# --- helpers and fixtures ---------------------------------------------------------------------


def portal_url(service_request) -> str:
    return f"/requests/{service_request.pk}/"


def staff_url(service_request) -> str:
    return f"/staff/requests/{service_request.pk}/"


def type_id(name: str) -> int:
    return RequestType.objects.get(name=name).pk


def png(name: str = "meter.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def logged_in(user) -> PageClient:
    client = PageClient()
    client.login(user)
    return client


def timeline(service_request) -> list[tuple]:
    """The request's events as comparable rows (what the API and the pages must both write)."""
    return list(
        RequestEvent.objects.filter(service_request=service_request)
        .order_by("id")
        .values_list("kind", "actor_id", "actor_name", "is_internal", "field", "old_value", "new_value", "body")
    )


def emails(reference: str) -> list[tuple]:
    """The outbox with the request reference blanked, so two twin requests' emails compare equal."""
    return [
        (email.to, email.subject.replace(reference, "REF"), email.body.replace(reference, "REF"))
        for email in mail.outbox
        if reference in email.subject
    ]


def stored_files() -> set[Path]:
    return {path for path in Path(django_settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def rows(page: Page) -> list[str]:
    """The references listed in a page's table, top to bottom."""
    table = page.doc.find("tbody")
    return [] if table is None else [REFERENCE.search(tr.text()).group(0) for tr in table.find_all("tr")]


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the emails) of whatever is done inside `with sent():`."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def customer_page(customer):
    return logged_in(customer)


@pytest.fixture
def agent_page(agent):
    return logged_in(agent)


@pytest.fixture
def mine(customer):
    return ServiceRequestFactory(customer=customer, details="The meter in the hall is ticking loudly")


# --- who may open which page ------------------------------------------------------------------

PORTAL_PAGES = [
    "/requests/",
    "/requests/?status=Pending",
    "/requests/new/",
    "/requests/new/{type}/",
    "/requests/{id}/",
    "/accounts/profile/",
    "/accounts/password/change/",
]
STAFF_PAGES = ["/staff/", "/staff/?status=Pending", "/staff/requests/{id}/"]


def fill(path: str, service_request) -> str:
    return path.format(id=service_request.pk, type=type_id("Maintenance"))


@pytest.mark.parametrize(
    ("path", "user"), [(p, "customer") for p in PORTAL_PAGES] + [(p, "agent") for p in STAFF_PAGES]
)
def test_anonymous_is_sent_to_the_login_page_and_back(request, mine, path, user):
    path = fill(path, mine)
    browser = PageClient()

    response = browser.get(path)

    assert (response.status_code, response["Location"]) == (302, login_redirect(path))
    assert mine.reference not in response.content.decode()
    assert browser.login(request.getfixturevalue(user), next_url=path)["Location"] == path
    assert browser.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/register/", "/accounts/password/reset/"])
def test_public_pages_open_without_a_login(path):
    assert PageClient().get(path).status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_customer_gets_403_on_staff_pages_and_never_the_data(customer_page, other_customer, path):
    theirs = ServiceRequestFactory(customer=other_customer, details="Dave's boiler is leaking")
    path = fill(path, theirs)

    response = customer_page.get(path)

    assert response.status_code == 403
    content = response.content.decode()
    assert "You do not have access to this page" in content
    for secret in (theirs.reference, theirs.details, other_customer.name, other_customer.email):
        assert secret not in content


@pytest.mark.parametrize(
    "data",
    [
        {"action": "update", "update-status": "Resolved", "update-priority": "4"},
        {"action": "note", "note-body": "I am staff now", "note-visibility": "public"},
    ],
)
def test_customer_posting_a_staff_action_gets_403_and_changes_nothing(customer_page, mine, data):
    before = snapshot(mine)

    response = customer_page.post(staff_url(mine), data)

    assert response.status_code == 403
    assert snapshot(mine) == before


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"action": "comment", "comment-body": "Not my request"},
        {"action": "cancel", "cancel-reason": ""},
        {"action": "attach", "attach-files": "meter.png"},
    ],
    ids=["view", "comment", "cancel", "attach"],
)
def test_another_customers_request_is_404_for_every_page_and_action(other_customer, mine, data):
    intruder = logged_in(other_customer)
    before = snapshot(mine)

    response = intruder.get(portal_url(mine)) if data is None else intruder.post(portal_url(mine), with_files(data))

    assert response.status_code == 404
    assert mine.reference not in response.content.decode()
    assert "Page not found" in response.content.decode()
    assert snapshot(mine) == before
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("user", ["agent", "admin_user"])
def test_staff_open_the_queue_and_any_request(request, mine, user):
    staff = logged_in(request.getfixturevalue(user))

    assert mine.reference in rows(staff.page("/staff/"))
    detail = staff.page(staff_url(mine))
    assert mine.details in detail.text()
    assert mine.customer.email in detail.text()


def test_customer_list_shows_only_their_own_requests(customer_page, mine, other_customer):
    theirs = ServiceRequestFactory(customer=other_customer)

    listed = rows(customer_page.page("/requests/"))

    assert listed == [mine.reference]
    assert theirs.reference not in customer_page.page("/requests/").html


# --- every page: one h1, <main>, labelled controls, the emergency number -------------------------


@pytest.fixture
def world(customer, agent):
    """A customer with a request of each kind the pages show differently."""
    pending = request_in("Pending", customer=customer, assignee=agent)
    services.service_request_attach(acting_user=customer, service_request=pending, files=[png()])
    services.service_request_add_note(acting_user=agent, service_request=pending, body=PUBLIC_NOTE, is_internal=False)
    emergency = services.service_request_submit(
        customer=customer, request_type=RequestType.objects.get(name="Gas Leak"), details="Smell of gas"
    )
    resolved = request_in("Resolved", customer=customer)
    return {"pending": pending, "emergency": emergency, "resolved": resolved}


PAGES = {
    "home-anonymous": (None, "/", 200),
    "home": ("customer", "/", 200),
    "my-requests": ("customer", "/requests/", 200),
    "my-requests-filtered": ("customer", "/requests/?status=Pending&status=Resolved", 200),
    "choose-type": ("customer", "/requests/new/", 200),
    "details-form": ("customer", "/requests/new/{Maintenance}/", 200),
    "details-form-emergency": ("customer", "/requests/new/{Gas Leak}/", 200),
    "detail-pending": ("customer", "/requests/{pending}/", 200),
    "detail-emergency": ("customer", "/requests/{emergency}/", 200),
    "detail-resolved": ("customer", "/requests/{resolved}/", 200),
    "not-found": ("customer", "/requests/999999/", 404),
    "forbidden": ("customer", "/staff/", 403),
    "queue": ("agent", "/staff/", 200),
    "queue-filtered": ("agent", "/staff/?status=Pending&overdue=false&search=gas", 200),
    "staff-detail": ("agent", "/staff/requests/{pending}/", 200),
    "staff-detail-emergency": ("admin_user", "/staff/requests/{emergency}/", 200),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_one_h1_main_labels_and_the_emergency_number(request, settings, world, name):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    user, path, status = PAGES[name]
    ids = {key: sr.pk for key, sr in world.items()} | {n: type_id(n) for n in ("Maintenance", "Gas Leak")}
    browser = logged_in(request.getfixturevalue(user)) if user else PageClient()

    page = browser.page(path.format(**ids), status=status)

    assert page.structure_problems() == []


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


# --- the detail page: the same actions as the API ---------------------------------------------

ACTIONS = {
    # action: (start status, page form data, API path, API data)
    "comment": (
        "In Progress",
        {"comment-body": "The meter is in the garage"},
        "comments",
        {"body": "The meter is in the garage"},
    ),
    "cancel": ("Pending", {"cancel-reason": "Sorted it myself"}, "cancel", {"reason": "Sorted it myself"}),
    "reopen": ("Resolved", {"reopen-reason": "Still smells"}, "reopen", {"reason": "Still smells"}),
    "attach": ("On Hold", {"attach-files": "meter.png"}, "attachments", {"files": "meter.png"}),
}
DONE = {
    "comment": "Your information was added.",
    "cancel": "Your request was cancelled.",
    "reopen": "Your request was reopened.",
    "attach": "Your files were attached.",
}


def with_files(data: dict) -> dict:
    return {key: [png(value)] if key.endswith("files") else value for key, value in data.items()}


@pytest.mark.parametrize("action", ACTIONS)
def test_detail_action_does_what_the_api_does(customer_page, customer_api, customer, agent, sent, action):
    status, form_data, api_path, api_data = ACTIONS[action]
    by_page, by_api = (request_in(status, customer=customer, assignee=agent) for _ in range(2))

    with sent():
        response = customer_page.submit(portal_url(by_page), with_files(form_data), action=action)
    with sent():
        api_url = f"/api/track/{by_api.pk}/{api_path}/"
        if action == "attach":
            api_response = customer_api.client.post(
                api_url, with_files(api_data), headers={"X-CSRFToken": customer_api.csrf_token}
            )
        else:
            api_response = customer_api.post(api_url, api_data)
    assert api_response.status_code in (200, 201), api_response.content

    assert (response.status_code, response["Location"]) == (302, portal_url(by_page))
    assert ("success", DONE[action]) in customer_page.page(portal_url(by_page)).messages()
    assert timeline(by_page) == timeline(by_api) != []
    assert emails(by_page.reference) == emails(by_api.reference)
    assert bool(emails(by_page.reference)) is (action in ("comment", "reopen"))  # the assignee is told
    page_stored, api_stored = (ServiceRequest.objects.get(pk=sr.pk) for sr in (by_page, by_api))
    assert (page_stored.status, page_stored.resolved_at, page_stored.cancelled_at is None) == (
        api_stored.status,
        api_stored.resolved_at,
        api_stored.cancelled_at is None,
    )
    fields = ("original_name", "content_type", "size", "uploaded_by")
    assert list(by_page.attachments.values_list(*fields)) == list(by_api.attachments.values_list(*fields))


@pytest.mark.parametrize(
    ("status", "resolved_days_ago", "shown"),
    [
        ("Pending", None, {"comment", "attach", "cancel"}),
        ("In Progress", None, {"comment", "attach", "cancel"}),
        ("On Hold", None, {"comment", "attach", "cancel"}),
        ("Resolved", 1, {"comment", "attach", "reopen"}),
        ("Resolved", 15, {"comment", "attach"}),
        ("Closed", None, set()),
        ("Cancelled", None, set()),
    ],
)
def test_detail_offers_only_the_actions_allowed_now(customer_page, customer, status, resolved_days_ago, shown):
    fields = {"resolved_at": timezone.now() - timedelta(days=resolved_days_ago)} if resolved_days_ago else {}
    service_request = request_in(status, customer=customer, **fields)

    page = customer_page.page(portal_url(service_request))

    assert {action for action in ACTIONS if page.has_form(action)} == shown


@pytest.mark.parametrize(
    ("action", "status", "resolved_days_ago", "error"),
    [
        ("cancel", "Resolved", 1, "You cannot cancel this request: it is Resolved"),
        ("cancel", "Closed", None, "You cannot cancel this request: it is Closed"),
        ("cancel", "Cancelled", None, "You cannot cancel this request"),
        ("reopen", "Pending", None, "You cannot reopen this request"),
        ("reopen", "Resolved", 15, "within 14 days of its resolution"),
        ("comment", "Closed", None, "You cannot add to this request: it is Closed"),
        ("attach", "Cancelled", None, "You cannot add to this request: it is Cancelled"),
    ],
)
def test_forbidden_action_shows_an_error_and_changes_nothing(
    customer_page, customer, agent, sent, action, status, resolved_days_ago, error
):
    fields = {"resolved_at": timezone.now() - timedelta(days=resolved_days_ago)} if resolved_days_ago else {}
    service_request = request_in(status, customer=customer, assignee=agent, **fields)
    before = snapshot(service_request)

    with sent():
        response = customer_page.post(portal_url(service_request), {"action": action, **with_files(ACTIONS[action][1])})

    assert (response.status_code, response["Location"]) == (302, portal_url(service_request))
    messages = customer_page.page(portal_url(service_request)).messages()
    assert [level for level, _ in messages] == ["error"]
    assert error in messages[0][1]
    assert snapshot(service_request) == before
    assert (Attachment.objects.count(), mail.outbox) == (0, [])


def test_cancel_from_a_page_that_went_stale_is_refused(customer_page, customer, agent):
    service_request = request_in("Pending", customer=customer)
    page = customer_page.page(portal_url(service_request))
    form = page.form_values(page.form("cancel"))
    services.service_request_update(acting_user=agent, service_request=service_request, status="Resolved")
    before = snapshot(service_request)

    response = customer_page.post(portal_url(service_request), form, follow=True)

    assert any(level == "error" and "You cannot cancel" in text for level, text in Page(response).messages())
    assert snapshot(service_request) == before


def test_empty_comment_shows_the_error_by_the_field_and_records_nothing(customer_page, mine):
    before = snapshot(mine)

    response = customer_page.submit(portal_url(mine), {"comment-body": "   "}, action="comment")

    assert response.status_code == 200
    assert Page(response).field_errors("comment-body") == ["This field is required."]
    assert snapshot(mine) == before


@pytest.mark.parametrize(
    "data",
    [
        {"action": "update", "update-status": "Resolved", "update-priority": "4"},
        {"action": "comment", "comment-body": "x", "status": "Resolved", "priority": "4", "assignee": "1"},
        {"action": "note", "note-body": "Pretending to be staff", "note-visibility": "internal"},
        {"action": "cancel", "cancel-reason": "", "status": "Closed"},
    ],
    ids=["staff-update", "comment-with-extras", "staff-note", "cancel-to-closed"],
)
def test_customer_cannot_set_status_priority_or_assignee_from_the_portal(customer_page, mine, agent, data):
    data = {key: (agent.pk if key == "assignee" else value) for key, value in data.items()}

    customer_page.post(portal_url(mine), data)

    stored = ServiceRequest.objects.get(pk=mine.pk)
    assert stored.status in ("Pending", "Cancelled")
    assert (stored.priority, stored.assignee_id) == (Priority.NORMAL, None)
    assert not RequestEvent.objects.filter(kind__in=["note", "status_changed", "priority_changed", "assigned"]).exists()


def test_internal_entries_never_reach_a_customer_page_while_public_ones_do(
    customer_page, agent_page, customer, agent, sent, mine
):
    with sent():
        agent_page.submit(staff_url(mine), {"note-body": SECRET}, action="note")
        agent_page.submit(
            staff_url(mine), {"update-priority": Priority.HIGH, "update-assignee": agent.pk}, action="update"
        )
        services.service_request_add_note(acting_user=agent, service_request=mine, body=SECRET + " 2", is_internal=True)
        agent_page.submit(staff_url(mine), {"note-body": PUBLIC_NOTE, "note-visibility": "public"}, action="note")
        seen = [
            customer_page.page("/requests/").html,
            customer_page.page("/requests/?status=Pending").html,
            customer_page.page(portal_url(mine)).html,
            customer_page.submit(
                portal_url(mine), {"comment-body": "Thanks"}, action="comment", follow=True
            ).content.decode(),
        ]

    assert RequestEvent.objects.filter(service_request=mine, is_internal=True, kind="note").count() == 2
    for html in seen:
        for internal in (SECRET, "Priority changed", "Assignee changed", "Internal"):
            assert internal not in html
    assert PUBLIC_NOTE in Page(customer_page.get(portal_url(mine))).main.text()
    staff_view = agent_page.page(staff_url(mine)).main.text()
    assert SECRET in staff_view and SECRET + " 2" in staff_view and PUBLIC_NOTE in staff_view
    customer_emails = [email for email in mail.outbox if customer.email in email.to]
    assert len(customer_emails) == 1 and PUBLIC_NOTE in customer_emails[0].body
    assert all(SECRET not in email.subject + email.body for email in customer_emails)


# --- the staff request page -------------------------------------------------------------------


STAFF_ACTIONS = {
    # action: (page form data, API method and path, API data)
    "update": (
        {"update-status": "On Hold", "update-priority": "3", "update-resolution_details": "Parts ordered"},
        ("put", ""),
        {"status": "On Hold", "priority": "High", "resolution_details": "Parts ordered"},
    ),
    "public-note": (
        {"note-body": PUBLIC_NOTE, "note-visibility": "public"},
        ("post", "notes/"),
        {"body": PUBLIC_NOTE, "is_internal": False},
    ),
    "internal-note": ({"note-body": SECRET}, ("post", "notes/"), {"body": SECRET}),
}


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_staff_page_action_does_what_the_api_does(agent_page, agent_api, customer, agent, admin_user, sent, action):
    form_data, (method, api_path), api_data = STAFF_ACTIONS[action]
    by_page, by_api = (request_in("In Progress", customer=customer) for _ in range(2))
    if action == "update":
        form_data, api_data = {**form_data, "update-assignee": admin_user.pk}, {**api_data, "assignee": admin_user.pk}

    with sent():
        response = agent_page.submit(staff_url(by_page), form_data, action=action.split("-")[-1])
    with sent():
        api_response = getattr(agent_api, method)(f"/api/admin/requests/{by_api.pk}/{api_path}", api_data)
    assert api_response.status_code in (200, 201), api_response.content

    assert (response.status_code, response["Location"]) == (302, staff_url(by_page))
    assert timeline(by_page) == timeline(by_api) != []
    assert emails(by_page.reference) == emails(by_api.reference)
    assert bool(emails(by_page.reference)) is (action != "internal-note")
    page_stored, api_stored = (ServiceRequest.objects.get(pk=sr.pk) for sr in (by_page, by_api))
    fields = ("status", "priority", "assignee_id", "resolution_details", "resolved_at")
    assert [getattr(page_stored, f) for f in fields] == [getattr(api_stored, f) for f in fields]


def test_staff_update_changes_status_priority_and_assignee(agent_page, agent, mine):
    response = agent_page.submit(
        staff_url(mine),
        {"update-status": "In Progress", "update-priority": str(Priority.EMERGENCY), "update-assignee": agent.pk},
        action="update",
    )

    assert response.status_code == 302
    stored = ServiceRequest.objects.get(pk=mine.pk)
    assert (stored.status, stored.priority, stored.assignee) == ("In Progress", Priority.EMERGENCY, agent)
    assert {row[0] for row in timeline(mine)} == {"status_changed", "priority_changed", "assigned"}
    assert ("success", "Request updated.") in agent_page.page(staff_url(mine)).messages()


@pytest.mark.parametrize(
    ("status", "to", "error"),
    [
        ("Closed", "Pending", "A request that is Closed cannot move to Pending. Closed is final."),
        ("Resolved", "On Hold", "cannot move to On Hold. Allowed: Pending, In Progress, Closed."),
        ("Cancelled", "In Progress", "Cancelled is final."),
    ],
)
def test_forbidden_transition_is_an_error_on_the_page_and_changes_nothing(
    agent_page, customer, agent, sent, status, to, error
):
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    with sent():
        response = agent_page.submit(
            staff_url(service_request),
            {"update-status": to, "update-priority": "3", "update-assignee": agent.pk},
            action="update",
        )

    assert response.status_code == 200
    page = Page(response)
    update_form = page.form("update")
    assert error in update_form.text()
    assert update_form.find(id="error-summary") is not None
    assert snapshot(service_request) == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("update-assignee", "customer"), ("update-status", "Archived"), ("update-priority", "9")],
)
def test_invalid_staff_update_shows_the_error_by_the_field(request, agent_page, mine, field, value):
    if value == "customer":
        value = request.getfixturevalue("customer").pk
    before = snapshot(mine)

    response = agent_page.submit(staff_url(mine), {field: value}, action="update")

    assert response.status_code == 200
    assert Page(response).field_errors(field)
    assert snapshot(mine) == before


def test_staff_note_is_internal_by_default(agent_page, agent, mine, sent):
    page = agent_page.page(staff_url(mine))
    checked = page.form_values(page.form("note"))["note-visibility"]

    with sent():
        agent_page.submit(staff_url(mine), {"note-body": "Checked the valve"}, action="note")

    assert checked == ["internal"]
    assert timeline(mine) == [("note", agent.pk, agent.name, True, "", "", "", "Checked the valve")]
    assert mail.outbox == []


def test_staff_attach_stores_the_file_on_the_timeline(agent_page, agent, mine):
    response = agent_page.submit(staff_url(mine), {"attach-files": [png("valve.png")]}, action="attach")

    assert response.status_code == 302
    assert list(mine.attachments.values_list("original_name", "uploaded_by")) == [("valve.png", agent.pk)]
    assert timeline(mine) == [("attachment", agent.pk, agent.name, False, "", "", "valve.png", "")]
    assert "valve.png" in agent_page.page(staff_url(mine)).main.text()


def test_staff_bad_attachment_is_an_error_by_the_field_and_stores_nothing(agent_page, mine):
    before = stored_files()

    response = agent_page.submit(
        staff_url(mine), {"attach-files": [SimpleUploadedFile("x.png", b"GIF89a")]}, action="attach"
    )

    assert response.status_code == 200
    assert any("not a JPEG, PNG or PDF" in error for error in Page(response).field_errors("attach-files"))
    assert (Attachment.objects.count(), RequestEvent.objects.count(), stored_files()) == (0, 0, before)


def test_staff_see_the_full_timeline_with_internal_entries_marked(agent_page, agent, customer, mine):
    services.service_request_add_note(acting_user=agent, service_request=mine, body=SECRET, is_internal=True)
    services.service_request_update(acting_user=agent, service_request=mine, priority=Priority.HIGH)
    services.service_request_comment(customer=customer, service_request=mine, body="Any news?")

    page = agent_page.page(staff_url(mine))

    entries = page.main.find("ol", class_="timeline").find_all("li")
    assert len(entries) == RequestEvent.objects.filter(service_request=mine).count() == 3
    assert [("internal" in li.classes) for li in entries] == [True, True, False]
    assert SECRET in entries[0].text() and "Internal" in entries[0].text()
    assert "Any news?" in entries[2].text()


# --- the staff queue --------------------------------------------------------------------------


@pytest.fixture
def queue(request_type_catalogue, customer, other_customer, agent):
    """Requests the queue must order: emergency first, then overdue, then the rest, closed last."""
    now = timezone.now()
    return {
        "closed": request_in(
            "Closed", customer=customer, submitted_at=now - timedelta(days=9), due_at=now - timedelta(days=8)
        ),
        "fresh": ServiceRequestFactory(customer=customer, details="Fresh one", priority=Priority.HIGH),
        "overdue": ServiceRequestFactory(
            customer=other_customer,
            submitted_at=now - timedelta(days=5),
            due_at=now - timedelta(hours=1),
            assignee=agent,
        ),
        "emergency": ServiceRequestFactory(
            customer=other_customer,
            request_type=RequestType.objects.get(name="Gas Leak"),
            priority=Priority.EMERGENCY,
            submitted_at=now - timedelta(minutes=10),
        ),
        "on-hold": request_in("On Hold", customer=customer, details="Waiting for parts"),
    }


def test_queue_default_order_is_emergency_then_overdue(agent_page, queue):
    listed = rows(agent_page.page("/staff/"))

    assert listed == [queue[key].reference for key in ("emergency", "overdue", "fresh", "on-hold", "closed")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": ["Pending"]}, {"fresh", "overdue", "emergency"}),
        ({"status": ["On Hold", "Closed"]}, {"on-hold", "closed"}),
        ({"overdue": "true"}, {"overdue"}),
        ({"assignee": "me"}, {"overdue"}),
        ({"priority": ["Emergency", "High"]}, {"emergency", "fresh"}),
        pytest.param({"search": "waiting for"}, {"on-hold"}, marks=COMMITTED_DB),
    ],
)
def test_queue_filters_like_the_api(agent_page, queue, params, expected):
    page = agent_page.page("/staff/", params)

    assert set(rows(page)) == {queue[key].reference for key in expected}
    shown = page.form_values(page.doc.find("form", method="get"))
    for name, value in params.items():
        assert sorted(shown.get(name, [])) == sorted(value if isinstance(value, list) else [value])


def test_queue_status_filter_is_a_set_of_checkboxes(agent_page, queue):
    page = agent_page.page("/staff/")

    boxes = page.doc.find_all("input", type_="checkbox", name="status")
    assert [box.attrs["value"] for box in boxes] == [s.value for s in ServiceRequest.Status]


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_queue_search_by_reference_finds_exactly_that_request(agent_page, queue, case):
    wanted = queue["fresh"].reference

    assert rows(agent_page.page("/staff/", {"search": case(wanted)})) == [wanted]


@pytest.mark.parametrize(
    ("params", "field"), INVALID_FILTERS, ids=[f"{field}={params[field]!r:.12}" for params, field in INVALID_FILTERS]
)
def test_invalid_queue_filter_shows_errors_not_a_500(agent_page, queue, params, field):
    agent_page.client.raise_request_exception = False

    response = agent_page.get("/staff/", params)

    assert response.status_code == 200, f"{response.status_code} for {params}"
    page = Page(response)
    assert page.error_summary() is not None
    assert rows(page) == []


def test_queue_pages_keep_the_filter(agent_page, customer):
    ServiceRequestFactory.create_batch(21, customer=customer)
    ServiceRequestFactory(customer=customer, status="On Hold")

    first = agent_page.page("/staff/", {"status": "Pending"})
    second = agent_page.page("/staff/", {"status": "Pending", "page": 2})

    assert (len(rows(first)), len(rows(second))) == (20, 1)
    assert first.doc.find("a", rel="next").attrs["href"] == "?status=Pending&page=2"
    assert set(rows(first)).isdisjoint(rows(second))


# --- the customer's list ----------------------------------------------------------------------


def test_my_requests_are_newest_first_with_status_badges_and_pages(customer_page, customer):
    now = timezone.now()
    made = [ServiceRequestFactory(customer=customer, submitted_at=now - timedelta(hours=n)) for n in range(22)]
    request_in("Resolved", customer=customer, submitted_at=now - timedelta(days=30))

    first = customer_page.page("/requests/", {"status": "Pending"})
    second = customer_page.page("/requests/", {"status": "Pending", "page": 2})

    assert rows(first) + rows(second) == [sr.reference for sr in made]
    assert first.doc.find("a", rel="next").attrs["href"] == "?status=Pending&page=2"
    badges = [span.text() for span in first.doc.find("tbody").find_all("span", class_="badge")]
    assert badges == ["Pending"] * 20


def test_my_requests_filter_by_status(customer_page, customer):
    pending, resolved = request_in("Pending", customer=customer), request_in("Resolved", customer=customer)
    request_in("Cancelled", customer=customer)

    page = customer_page.page("/requests/", {"status": ["Pending", "Resolved"]})

    assert set(rows(page)) == {pending.reference, resolved.reference}


@pytest.mark.parametrize("params", [{"status": "Bogus"}, {"status": ["Pending", "Nope"]}])
def test_my_requests_invalid_filter_shows_errors_not_a_500(customer_page, mine, params):
    page = customer_page.page("/requests/", params)

    assert page.field_errors("status")
    assert rows(page) == []
