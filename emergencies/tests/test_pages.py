"""The emergency pages through the real login form, session and CSRF: who may open what, and that
each page does exactly what the API does (same record entries, same timeline rows).

The report page (anyone), the confirmation, staff phone entry, the dispatch board and the
staff record page, the engineer's list and phone page (and its file downloads), and the
customer's Priority Services Register page.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import PriorityServicesRegistration
from accounts.services import priority_services_register
from core.views import server_error
from emergencies import services
from emergencies.models import Emergency, EmergencyEvent
from testing.api_client import ApiClient
from testing.assertions import success_data
from testing.factories import CONTROLLED, UNCONTROLLED, gas_leak, make_dispatcher, make_engineer, report
from testing.page_client import REFERENCE, Page, PageClient, login_redirect
from utility_services.models import Attachment, RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db

REPORT = "/emergency/"
REPORTED = "/emergency/reported/"
BOARD = "/staff/emergencies/"
PHONED = "/staff/emergencies/new/"
ENGINEER_HOME = "/engineer/"
PSR = "/accounts/profile/priority-services/"
PNG = b"\x89PNG\r\n\x1a\n-photo-of-the-meter-"
ROLES = ("anonymous", "customer", "other_customer", "engineer", "other_engineer", "agent", "admin_user")
LOGIN = "login"  # a redirect to the login page, back to the page afterwards
VALID_REPORT = {
    "type_of_request": "",  # the form's default (Gas Leak)
    "phone": "07700 900 123",
    "name": "A passer-by",
    "address": "Bus stop, 12 High Street",
    "postcode": "AB1 2CD",
    "location_details": "By the drain cover",
    "inside": "no",
    "gas_escaping": "yes",
    "meter_off": "unknown",
    "co_symptoms": "no",
    "vulnerable_present": "yes",
    "details": "Hissing sound",
}


def staff_url(emergency) -> str:
    return f"/staff/emergencies/{emergency.pk}/"


def engineer_url(emergency) -> str:
    return f"/engineer/emergencies/{emergency.pk}/"


def logged_in(user) -> PageClient:
    client = PageClient()
    if user is not None:
        client.login(user)
    else:
        client.get("/accounts/login/")  # a csrftoken cookie, as any page gives
    return client


def api_for(user) -> ApiClient:
    client = ApiClient()
    client.login(user)
    return client


def report_form(client: PageClient, **changes) -> dict:
    """The report form as a browser would send it: the page's defaults, the valid report, the changes."""
    page = client.page(REPORT)
    values = {**page.form_values(page.form()), **VALID_REPORT, **changes}
    if not values["type_of_request"]:
        values.pop("type_of_request")
        values["type_of_request"] = page.form_values(page.form())["type_of_request"]
    return values


def notice_comes_first(page: Page) -> bool:
    """The safety notice precedes the heading and every question."""
    notice = page.main.find("section", class_="safety-notice")
    assert notice is not None
    form = page.main.find("form")
    return page.position(notice) < page.position(page.main.find("h1")) and (
        form is None or page.position(notice) < page.position(form)
    )


def number_is_prominent(page: Page, phone: str) -> bool:
    """The number is in the safety notice's call button, above the heading."""
    notice = page.main.find("section", class_="safety-notice")
    return notice_comes_first(page) and any(phone in link.text() for link in notice.find_all("a", class_="button"))


def record_rows(emergency, since_id: int = 0) -> list[tuple]:
    return list(
        EmergencyEvent.objects.filter(emergency=emergency, pk__gt=since_id)
        .order_by("id")
        .values_list("kind", "actor_id", "engineer_id", "reason", "body", "data")
    )


def timeline_rows(emergency, since_id: int = 0) -> list[tuple]:
    return list(
        RequestEvent.objects.filter(service_request_id=emergency.service_request_id, pk__gt=since_id)
        .order_by("id")
        .values_list("kind", "actor_id", "is_internal", "field", "old_value", "new_value", "body")
    )


@pytest.fixture
def other_engineer(db):
    return make_engineer(username="engineer2", name="Otto Other")


@pytest.fixture
def dispatched(customer, engineer):
    """The customer's emergency, dispatched to `engineer`, with a photo the engineer took."""
    emergency = report(reporter=customer, answers=UNCONTROLLED)
    services.emergency_dispatch(acting_user=make_dispatcher(), emergency=emergency, engineer=engineer)
    services.emergency_attach_photos(
        acting_user=engineer, emergency=emergency, files=[SimpleUploadedFile("meter.png", PNG)]
    )
    return emergency


# --- who may open which page ------------------------------------------------------------------

# page: (path template, expected status per role in ROLES order); "login" = sent to the login page
PAGES = {
    "emergency-report": (REPORT, (200, 200, 200, 200, 200, 200, 200)),
    "emergency-reported": (REPORTED, (REPORT,) * 7),  # nothing reported in this session: back to the form
    "staff-emergency-board": (BOARD, (LOGIN, 403, 403, 403, 403, 200, 200)),
    "staff-emergency-new": (PHONED, (LOGIN, 403, 403, 403, 403, 200, 200)),
    "staff-emergency-detail": ("/staff/emergencies/{emergency}/", (LOGIN, 403, 403, 403, 403, 200, 200)),
    "engineer-home": (ENGINEER_HOME, (LOGIN, 403, 403, 200, 200, 403, 403)),
    "engineer-emergency": ("/engineer/emergencies/{emergency}/", (LOGIN, 403, 403, 200, 404, 403, 403)),
    "engineer-emergency-file": (
        "/engineer/emergencies/{emergency}/files/{attachment}/",
        (LOGIN, 403, 403, 200, 404, 403, 403),
    ),
    "priority-services": (PSR, (LOGIN, 200, 200, 403, 403, 403, 403)),
}


def test_every_emergency_page_has_a_row_in_the_matrix():
    from emergencies import urls

    names = {pattern.name for pattern in urls.urlpatterns} | {"priority-services"}
    assert names == set(PAGES)


def fill(path: str, emergency) -> str:
    attachment = Attachment.objects.get(service_request_id=emergency.service_request_id)
    return path.format(emergency=emergency.pk, attachment=attachment.pk)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_of_the_pages(request, dispatched, other_customer, other_engineer, agent, admin_user, name, role):
    template, statuses = PAGES[name]
    expected = statuses[ROLES.index(role)]
    path = fill(template, dispatched)
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = logged_in(user)

    response = client.get(path)

    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, login_redirect(path))
    elif isinstance(expected, str):
        assert (response.status_code, response["Location"]) == (302, expected)
    else:
        assert response.status_code == expected, (path, role, response.status_code)
    if expected in (403, 404, LOGIN):
        # Never the data: not the record's address, phone or number.
        content = b"".join(response) if hasattr(response, "streaming_content") else response.content
        assert dispatched.reference.encode() not in content
        assert dispatched.reporter_phone.encode() not in content


# (path, form data) of a POST each role may or may not make, and what it would record
POSTS = {
    "staff-record": (
        lambda e: staff_url(e),
        {"action": "record", "record-kind": "note", "record-body": "Called back"},
        (LOGIN, 403, 403, 403, 403, 302, 302),
    ),
    "staff-dispatch": (
        lambda e: staff_url(e),
        {"action": "dispatch", "dispatch-engineer": "{other_engineer}"},
        (LOGIN, 403, 403, 403, 403, 302, 302),
    ),
    "engineer-step": (
        lambda e: engineer_url(e),
        {"action": "step", "step": "en_route"},
        (LOGIN, 403, 403, 302, 404, 403, 403),
    ),
    "engineer-note": (
        lambda e: engineer_url(e),
        {"action": "record", "record-kind": "note", "record-body": "Gate locked"},
        (LOGIN, 403, 403, 302, 404, 403, 403),
    ),
    "phoned-report": (
        lambda e: PHONED,
        {"received_at": "{now}", "phone": "07700900555", "address": "3 Mill Lane", "type_of_request": "{gas_leak}"},
        (LOGIN, 403, 403, 403, 403, 302, 302),
    ),
}


@pytest.mark.parametrize("name", POSTS)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_right_role_changes_anything(
    request, dispatched, other_customer, other_engineer, agent, admin_user, name, role
):
    make_path, data, statuses = POSTS[name]
    expected = statuses[ROLES.index(role)]
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = logged_in(user)
    values = {
        "other_engineer": other_engineer.pk,
        "now": f"{timezone.localtime():%Y-%m-%dT%H:%M}",
        "gas_leak": dispatched.service_request.request_type_id,
    }
    data = {key: str(value).format(**values) for key, value in data.items()}
    path = make_path(dispatched)
    events_before, requests_before = EmergencyEvent.objects.count(), ServiceRequest.objects.count()

    response = client.post(path, data)

    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, login_redirect(path))
    else:
        assert response.status_code == expected, (response.status_code, response.content.decode()[:2000])
    changed = EmergencyEvent.objects.count() != events_before or ServiceRequest.objects.count() != requests_before
    assert changed == (expected == 302)


# --- every page: one h1, <main>, labelled controls, the emergency number -------------------------

STRUCTURE = {
    "report": (None, REPORT),
    "report-customer": ("customer", REPORT),
    "board": ("agent", BOARD),
    "phoned": ("agent", PHONED),
    "staff-detail": ("admin_user", "staff"),
    "engineer-home": ("engineer", ENGINEER_HOME),
    "engineer-detail": ("engineer", "engineer"),
    "priority-services": ("customer", PSR),
    "profile": ("customer", "/accounts/profile/"),
    "staff-request": ("agent", "request"),
}


@pytest.mark.parametrize("name", STRUCTURE)
def test_every_emergency_page_has_one_h1_main_labels_and_the_emergency_number(request, settings, dispatched, name):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    user, path = STRUCTURE[name]
    path = {
        "staff": staff_url(dispatched),
        "engineer": engineer_url(dispatched),
        "request": f"/staff/requests/{dispatched.service_request_id}/",
    }.get(path, path)
    client = logged_in(request.getfixturevalue(user) if user else None)

    page = client.page(path)

    assert page.structure_problems() == []


def test_the_red_banner_on_every_page_links_to_the_report():
    page = PageClient().page("/")
    banner = page.doc.find("aside", class_="emergency-banner")
    assert banner.find("a", href=REPORT).text() == "Report a gas emergency online"


# --- the report page ----------------------------------------------------------------------------


def test_the_safety_instructions_come_before_any_question(settings):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    page = PageClient().page(REPORT)

    assert notice_comes_first(page)
    assert number_is_prominent(page, "0800 000 4242")
    steps = page.main.find("section", class_="safety-notice").text()
    assert "Do not operate electrical switches" in steps
    # The questions, each with "I don't know", and the "use my location" button hidden until the script shows it.
    for name in ("inside", "gas_escaping", "meter_off", "co_symptoms", "vulnerable_present"):
        assert {node.attrs["value"] for node in page.doc.find_all("input", name=name)} == {"yes", "no", "unknown"}
    assert "hidden" in page.doc.find("button", type_="button").attrs


def test_an_anonymous_report_creates_the_record_and_confirms_with_the_notice_and_number(settings):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    client = PageClient()

    response = client.post(REPORT, report_form(client))

    assert (response.status_code, response["Location"]) == (302, REPORTED)
    emergency = Emergency.objects.get()
    request = emergency.service_request
    assert (request.customer, request.channel, request.contact_name) == (None, "web", "A passer-by")
    assert (emergency.reporter_phone, emergency.address, emergency.postcode) == (
        "07700900123",
        "Bus stop, 12 High Street",
        "AB1 2CD",
    )
    assert (emergency.inside, emergency.gas_escaping, emergency.meter_off, emergency.co_symptoms) == (
        False,
        True,
        None,
        False,
    )
    assert (emergency.vulnerable_present, emergency.is_vulnerable, emergency.classification) == (
        True,
        True,
        "uncontrolled",
    )
    assert emergency.location_details == "By the drain cover" and request.details == "Hissing sound"
    page = client.page(REPORTED)
    assert notice_comes_first(page) and number_is_prominent(page, "0800 000 4242")
    assert emergency.reference in page.main.find("h1").text()
    assert "Follow your report" not in page.text()  # no account: nothing to follow


def test_the_page_records_what_the_api_records():
    """Same report through the page and the API: the same record, but for the channel and the times."""
    client = PageClient()
    client.post(REPORT, report_form(client))
    payload = {
        "phone": "07700 900 123",
        "name": "A passer-by",
        "address": "Bus stop, 12 High Street",
        "postcode": "AB1 2CD",
        "location_details": "By the drain cover",
        "details": "Hissing sound",
        "inside": False,
        "gas_escaping": True,
        "meter_off": None,
        "co_symptoms": False,
        "vulnerable_present": True,
    }
    success_data(ApiClient().post("/api/emergencies/report/", payload), 201)

    by_page, by_api = Emergency.objects.order_by("id")
    fields = [
        "reporter_phone",
        "address",
        "postcode",
        "latitude",
        "longitude",
        "location_details",
        "inside",
        "gas_escaping",
        "meter_off",
        "co_symptoms",
        "vulnerable_present",
        "classification",
        "is_vulnerable",
        "stage",
    ]
    assert [getattr(by_page, f) for f in fields] == [getattr(by_api, f) for f in fields]
    (page_receipt,), (api_receipt,) = by_page.events.all(), by_api.events.all()
    assert {**page_receipt.data, "channel": "api"} == api_receipt.data
    assert [row[:4] + row[5:] for row in timeline_rows(by_page)] == [row[:4] + row[5:] for row in timeline_rows(by_api)]


def test_a_position_is_enough_and_the_address_may_stay_empty():
    client = PageClient()
    response = client.post(REPORT, report_form(client, address="", latitude="51.501", longitude="-0.142"))

    assert response.status_code == 302
    emergency = Emergency.objects.get()
    assert (emergency.address, emergency.latitude, emergency.longitude) == ("", 51.501, -0.142)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"phone": ""}, "phone", "This field is required."),
        ({"phone": "call me"}, "phone", "Enter a phone number of 7 to 15 digits"),
        ({"address": ""}, "address", "Say where: an address, or a latitude and longitude."),
        ({"address": "", "latitude": "51.5"}, "longitude", "Give both latitude and longitude, or neither."),
        ({"latitude": "91", "longitude": "0"}, "latitude", "Ensure this value is less than or equal to 90."),
        ({"inside": "perhaps"}, "inside", "Select a valid choice."),
    ],
)
def test_an_invalid_report_shows_the_error_by_its_field_the_number_first_and_stores_nothing(
    settings, changes, field, error
):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    client = PageClient()

    response = client.post(REPORT, report_form(client, **changes))

    assert response.status_code == 200
    page = Page(response)
    assert any(message.startswith(error) for message in page.field_errors(field)), page.field_errors(field)
    assert number_is_prominent(page, "0800 000 4242")
    assert page.value("location_details") == "By the drain cover"  # what was typed is kept
    assert not ServiceRequest.objects.exists()


def test_reports_are_throttled_per_address_with_the_apis_counters_and_the_refusal_gives_the_number(settings, customer):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "emergency_report": "2/hour"}
    success_data(ApiClient().post("/api/emergencies/report/", {"phone": "07700900123", "address": "x"}), 201)
    client = logged_in(customer)  # logged in or not, the same address counts
    assert client.post(REPORT, report_form(client)).status_code == 302

    refused = PageClient()
    response = refused.post(REPORT, report_form(refused))

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    page = Page(response)
    assert "call 0800 000 4242 now" in page.error_summary()
    assert number_is_prominent(page, "0800 000 4242")
    assert page.value("address") == "Bus stop, 12 High Street"
    assert Emergency.objects.count() == 2


def test_a_report_that_fails_still_gives_the_number(settings, monkeypatch):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"

    def fail(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "emergency_report", fail)
    client = PageClient()

    response = client.post(REPORT, report_form(client))

    assert response.status_code == 503
    page = Page(response)
    assert "could not be recorded. Call 0800 000 4242 now" in page.error_summary()
    assert "connection lost" not in page.html
    assert number_is_prominent(page, "0800 000 4242")


def test_a_report_without_the_csrf_token_is_refused_with_the_safety_notice(settings):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    client = PageClient()
    client.get(REPORT)

    response = client.client.post(REPORT, VALID_REPORT)  # no csrfmiddlewaretoken

    assert response.status_code == 403
    page = Page(response)
    assert number_is_prominent(page, "0800 000 4242")
    assert page.structure_problems() == []
    assert not ServiceRequest.objects.exists()


def test_the_server_error_page_gives_the_emergency_number(settings):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    response = server_error(RequestFactory().get(REPORT))
    assert response.status_code == 500
    assert 'href="tel:08000004242"' in response.content.decode()


def test_a_logged_in_customers_report_is_prefilled_and_theirs(customer):
    client = logged_in(customer)
    page = client.page(REPORT)
    assert (page.value("phone"), page.value("name"), page.value("address")) == (
        customer.phone_number,
        customer.name,
        customer.address,
    )

    response = client.submit(REPORT, {"phone": "", "gas_escaping": "yes"})

    assert response["Location"] == REPORTED
    emergency = Emergency.objects.get()
    assert emergency.service_request.customer == customer
    assert (emergency.reporter_phone, emergency.address) == (customer.phone_number, customer.address)
    confirmation = client.page(REPORTED)
    link = confirmation.main.find("a", href=f"/requests/{emergency.service_request_id}/")
    assert link.text() == "Follow your report"
    # On their request page: the receipt in plain words.
    detail = client.page(f"/requests/{emergency.service_request_id}/")
    assert "Gas emergency report received" in detail.text()


def test_the_reporter_follows_the_response_in_plain_words_and_never_the_internal_entries(
    customer, engineer, dispatched
):
    services.emergency_record_step(acting_user=engineer, emergency=dispatched, step="en_route")
    services.emergency_record(acting_user=engineer, emergency=dispatched, kind="note", body="Dog in the garden")

    page = logged_in(customer).page(f"/requests/{dispatched.service_request_id}/")

    history = page.main.find("ol", class_="timeline").text()
    assert "Emergency response : An engineer is on the way" in history
    assert "Dog in the garden" not in page.html and "meter.png" not in page.html


def test_a_customer_on_the_register_is_flagged_vulnerable(customer, agent):
    priority_services_register(acting_user=customer, user=customer, categories=["medical_equipment"], consent=True)
    client = logged_in(customer)
    client.submit(REPORT, {"meter_off": "yes", "gas_escaping": "no"})

    emergency = Emergency.objects.get()
    assert (emergency.classification, emergency.is_vulnerable) == ("controlled", True)
    board = logged_in(agent).page(BOARD)
    row = board.doc.find("tbody").find("tr")
    assert "Vulnerable" in row.text() and "Priority Services Register" in row.text()


# --- staff: phone entry -----------------------------------------------------------------------


def test_staff_enter_a_phoned_in_report_with_the_callers_time(agent, customer):
    client = logged_in(agent)
    called = timezone.localtime() - timedelta(minutes=12)

    response = client.submit(
        PHONED,
        {
            "received_at": f"{called:%Y-%m-%dT%H:%M}",
            "customer": customer.customer_id.lower(),
            "name": "Caller's neighbour",
            "inside": "yes",
            "gas_escaping": "yes",
        },
    )

    emergency = Emergency.objects.get()
    assert response["Location"] == staff_url(emergency)
    assert (emergency.channel, emergency.service_request.customer) == ("phone", customer)
    assert emergency.received_at == called.replace(second=0, microsecond=0)
    receipt = emergency.events.get()
    assert (receipt.actor, receipt.occurred_at) == (agent, emergency.received_at)
    assert (emergency.reporter_phone, emergency.address) == (customer.phone_number, customer.address)
    page = client.page(staff_url(emergency))
    assert (
        "success",
        f"Emergency {emergency.reference} recorded. Dispatch an engineer.",
    ) in page.messages()


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"received_at": "{future}"}, "received_at", "The time of the call cannot be in the future."),
        ({"received_at": "{two_days_ago}"}, "received_at", "The time of the call must be within the last 24 hours."),
        ({"received_at": ""}, "received_at", "This field is required."),
        ({"customer": "GU-NOPE-NOPE"}, "customer", "No active customer has this id."),
        ({"phone": ""}, "phone", "Give a phone number we can call you back on."),
    ],
)
def test_a_phoned_in_report_with_a_mistake_shows_it_by_its_field(agent, changes, field, error):
    client = logged_in(agent)
    now = timezone.localtime()
    times = {
        "future": f"{now + timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "two_days_ago": f"{now - timedelta(days=2):%Y-%m-%dT%H:%M}",
    }
    data = {"phone": "07700900555", "address": "3 Mill Lane", **{k: v.format(**times) for k, v in changes.items()}}

    response = client.submit(PHONED, data)

    assert response.status_code == 200
    assert Page(response).field_errors(field) == [error]
    assert not Emergency.objects.exists()


# --- staff: the board -------------------------------------------------------------------------


def phoned(agent, minutes_ago: int, answers=UNCONTROLLED, **kwargs) -> Emergency:
    return services.emergency_report(
        reporter=None,
        request_type=gas_leak(),
        phone="07700900555",
        address=kwargs.pop("address", "1 Gas Street"),
        channel="phone",
        entered_by=agent,
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
        answers=answers,
        **kwargs,
    )


def board_rows(page: Page) -> list[dict]:
    rows = []
    for tr in page.doc.find("tbody").find_all("tr"):
        cells = {td.attrs["data-label"]: td for td in tr.find_all("td")}
        rows.append(
            {
                "reference": REFERENCE.search(cells["Reference"].text()).group(0),
                "state": cells["Clock"].find("span", class_="badge").text(),
                "clock": cells["Clock"].find("span", class_="clock-text").text(),
                "engineer": cells["Engineer"].text(),
                "vulnerable": cells["Vulnerable"].text(),
            }
        )
    return rows


def test_the_board_lists_open_emergencies_undispatched_first_then_by_time_left(agent, engineer):
    late = phoned(agent, 70, address="70 Late Lane")  # uncontrolled: 1 hour, now 10 minutes late
    at_risk = phoned(agent, 50, address="50 Risk Road")  # uncontrolled: 10 minutes left
    fresh = phoned(agent, 1, answers=CONTROLLED, address="1 Calm Close")  # 119 minutes left
    dispatched = phoned(agent, 55, address="55 Van Street")
    services.emergency_dispatch(acting_user=agent, emergency=dispatched, engineer=engineer)
    closed = phoned(agent, 30)
    services.emergency_dispatch(acting_user=agent, emergency=closed, engineer=engineer)
    for step in ("arrived", "made_safe", "cleared"):
        services.emergency_record_step(acting_user=engineer, emergency=closed, step=step)

    page = logged_in(agent).page(BOARD)

    rows = board_rows(page)
    references = [row["reference"] for row in rows]
    assert closed.reference not in references
    assert references.index(late.reference) < references.index(at_risk.reference) < references.index(fresh.reference)
    assert references[-1] == dispatched.reference  # dispatched after every undispatched one
    by_reference = {row["reference"]: row for row in rows}
    assert by_reference[late.reference]["state"] == "Late"
    assert by_reference[late.reference]["clock"].startswith("late by 0:1")
    assert by_reference[at_risk.reference]["state"] == "At risk"
    assert by_reference[fresh.reference]["state"] == "On time"
    assert by_reference[fresh.reference]["clock"].startswith("1:5")
    assert by_reference[dispatched.reference]["engineer"] == engineer.name
    assert by_reference[late.reference]["engineer"] == "Not dispatched"
    assert by_reference[late.reference]["vulnerable"] == "No"
    # The page refreshes itself: by script (data attribute) and, without script, a meta refresh.
    assert page.doc.find("div", id="board").attrs["data-refresh-seconds"] == "30"
    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in page.html


def test_the_board_and_request_page_link_to_each_other(agent, dispatched):
    client = logged_in(agent)
    nav = client.page("/staff/").doc.find("nav")
    assert nav.find("a", href=BOARD).text() == "Dispatch board"

    request_page = client.page(f"/staff/requests/{dispatched.service_request_id}/")
    assert request_page.main.find("a", href=staff_url(dispatched)) is not None
    detail = client.page(staff_url(dispatched))
    assert detail.main.find("a", href=f"/staff/requests/{dispatched.service_request_id}/") is not None


# --- staff: the record page --------------------------------------------------------------------

STAFF_ACTIONS = {
    "dispatch": (
        {"dispatch-engineer": "{engineer}", "dispatch-note": "Nearest van"},
        "dispatch/",
        {"engineer": "{engineer}", "note": "Nearest van"},
    ),
    "classification": (
        {"classification-classification": "controlled", "classification-reason": "Meter off, smell gone"},
        "classification/",
        {"classification": "controlled", "reason": "Meter off, smell gone"},
    ),
    "record": (
        {"record-kind": "advice", "record-body": "Keep the windows open"},
        "records/",
        {"kind": "advice", "body": "Keep the windows open"},
    ),
    "incident": (
        {"incident-evacuation": "on", "incident-description": "Two flats evacuated"},
        "incidents/",
        {"evacuation": True, "description": "Two flats evacuated"},
    ),
    "regulator": (
        {"regulator-regulator": "HSE", "regulator-reference": "R-12", "regulator-note": "By phone"},
        "regulator-notifications/",
        {"regulator": "HSE", "reference": "R-12", "note": "By phone"},
    ),
    "review": ({"review-comment": "Response within standard."}, "reviews/", {"comment": "Response within standard."}),
    "step": ({"step-step": "arrived", "step-note": "Radioed in"}, "steps/", {"step": "arrived", "note": "Radioed in"}),
}


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_staff_page_action_records_what_the_api_records(admin_user, engineer, action):
    """Twin emergencies, one acted on through the page, one through the API: the same entries and timeline."""
    twins = [report(address="1 Twin Street"), report(address="1 Twin Street")]
    if action == "step":
        for twin in twins:
            services.emergency_dispatch(acting_user=admin_user, emergency=twin, engineer=engineer)
    marks = [(EmergencyEvent.objects.order_by("-id").first().pk, RequestEvent.objects.order_by("-id").first().pk)] * 2
    page_data, api_path, api_data = STAFF_ACTIONS[action]
    fill_in = {"engineer": engineer.pk}

    def filled(data):
        return {k: (type(v)(v.format(**fill_in)) if isinstance(v, str) else v) for k, v in data.items()}

    client = logged_in(admin_user)
    response = client.submit(staff_url(twins[0]), filled(page_data), action=action)
    api_data = filled(api_data)
    if "engineer" in api_data:
        api_data["engineer"] = int(api_data["engineer"])
    success_data(api_for(admin_user).post(f"/api/admin/emergencies/{twins[1].pk}/{api_path}", api_data), 201)

    assert (response.status_code, response["Location"]) == (302, staff_url(twins[0]))
    by_page, by_api = (record_rows(twin, mark[0]) for twin, mark in zip(twins, marks, strict=True))
    assert by_page == by_api and len(by_page) == 1
    assert [row[:5] + row[6:] for row in timeline_rows(twins[0], marks[0][1])] == [
        row[:5] + row[6:] for row in timeline_rows(twins[1], marks[1][1])
    ]


def test_a_time_is_corrected_with_a_reason_and_the_record_shows_both(agent, engineer):
    emergency = phoned(agent, 30)
    services.emergency_dispatch(acting_user=agent, emergency=emergency, engineer=engineer)
    arrival = services.emergency_record_step(acting_user=engineer, emergency=emergency, step="arrived")
    right = timezone.localtime(emergency.received_at + timedelta(minutes=20)).replace(second=0, microsecond=0)
    client = logged_in(agent)

    response = client.submit(
        staff_url(emergency),
        {
            "correction-event": arrival.pk,
            "correction-occurred_at": f"{right:%Y-%m-%dT%H:%M}",
            "correction-reason": "Radio log",
        },
        action="correction",
    )

    assert response.status_code == 302
    emergency.refresh_from_db()
    assert emergency.arrived_at == right
    correction = emergency.events.get(kind="correction")
    assert (correction.corrects, correction.reason, correction.actor) == (arrival, "Radio log", agent)
    arrival.refresh_from_db()
    assert arrival.occurred_at != right  # never edited
    entry = client.page(staff_url(emergency)).doc.find(id=f"entry-{arrival.pk}")
    assert f"Happened {right:%-d %b, %H:%M:%S} (corrected" in entry.text()
    assert "Radio log" in entry.text()


@pytest.mark.parametrize(
    ("action", "data", "field", "error"),
    [
        (
            "classification",
            {"classification-classification": "controlled"},
            "classification-reason",
            "This field is required.",
        ),
        (
            "classification",
            {"classification-classification": "uncontrolled", "classification-reason": "x"},
            None,
            "The emergency is already uncontrolled.",
        ),
        (
            "correction",
            {"correction-occurred_at": "{future}", "correction-reason": "x"},
            "correction-occurred_at",
            "A report cannot be received after it was recorded.",
        ),
        (
            "incident",
            {"incident-description": "Nothing ticked"},
            None,
            "Say what happened: injury, fire, explosion or evacuation.",
        ),
        ("record", {"record-body": ""}, "record-body", "This field is required."),
        (
            "dispatch",
            {"dispatch-occurred_at": "{past}"},
            "dispatch-occurred_at",
            "This time is before the report was received",
        ),
    ],
)
def test_a_refused_staff_action_shows_why_and_records_nothing(agent, engineer, action, data, field, error):
    emergency = phoned(agent, 5)
    now = timezone.localtime()
    times = {
        "future": f"{now + timedelta(hours=2):%Y-%m-%dT%H:%M}",
        "past": f"{now - timedelta(hours=2):%Y-%m-%dT%H:%M}",
    }
    data = {k: v.format(**times) for k, v in data.items()}
    if action == "correction":
        data["correction-event"] = emergency.events.get().pk
    if action == "dispatch":
        data["dispatch-engineer"] = engineer.pk
    before = record_rows(emergency)

    response = logged_in(agent).submit(staff_url(emergency), data, action=action)

    assert response.status_code == 200
    page = Page(response)
    if field:
        assert any(message.startswith(error) for message in page.field_errors(field)), page.field_errors(field)
    else:
        assert error in page.error_summary()
    assert record_rows(emergency) == before


def test_a_closed_record_offers_no_dispatch_and_a_stale_form_is_refused_with_the_reason(agent, engineer, dispatched):
    client = logged_in(agent)
    stale = client.page(staff_url(dispatched))  # opened while the record was still open
    for step in ("arrived", "made_safe", "cleared"):
        services.emergency_record_step(acting_user=engineer, emergency=dispatched, step=step)
    assert not client.page(staff_url(dispatched)).has_form("dispatch")

    values = {**stale.form_values(stale.form("dispatch")), "dispatch-engineer": str(make_engineer().pk)}
    response = client.post(staff_url(dispatched), values)

    assert response.status_code == 200
    assert "This emergency is repaired and cleared: it cannot be dispatched." in Page(response).error_summary()
    assert not dispatched.events.filter(kind="dispatched").exclude(engineer=engineer).exists()


def test_only_supervisors_see_and_record_the_review(settings, agent, admin_user):
    emergency = phoned(agent, 5)
    agent_page = logged_in(agent).page(staff_url(emergency))
    assert not agent_page.has_form("review")
    refused = logged_in(agent).post(staff_url(emergency), {"action": "review", "review-comment": "Looks fine"})
    assert refused.status_code == 200
    assert "Only supervisors" in Page(refused).error_summary()
    assert not emergency.events.filter(kind="review").exists()

    settings.EMERGENCY_SUPERVISOR_USERNAMES = [agent.username]
    assert logged_in(agent).page(staff_url(emergency)).has_form("review")
    assert logged_in(admin_user).page(staff_url(emergency)).has_form("review")


def test_the_staff_record_page_shows_the_register_entry_and_the_request_page_too(customer, agent):
    priority_services_register(
        acting_user=agent, user=customer, categories=["medical_equipment"], needs="Oxygen at night", consent=True
    )
    emergency = report(reporter=customer)
    client = logged_in(agent)

    for path in (staff_url(emergency), f"/staff/requests/{emergency.service_request_id}/"):
        section = client.page(path).doc.find("section", class_="psr")
        assert "Medical equipment that depends on energy" in section.text()
        assert "Oxygen at night" in section.text()
        assert "given to a member of staff" in section.text()


# --- engineers ---------------------------------------------------------------------------------


def step_buttons(page: Page) -> list[str]:
    return [form.find("button").text() for form in page.doc.find_all("form", class_="step-form")]


def test_an_engineer_logs_in_on_their_page(engineer, dispatched):
    client = PageClient()
    response = client.submit("/accounts/login/", {"username": engineer.username, "password": "Sturdy-Test-Passw0rd!"})
    assert response["Location"] == ENGINEER_HOME

    page = client.page(ENGINEER_HOME)
    assert page.main.find("a", href=engineer_url(dispatched)) is not None
    nav = page.doc.find("nav")
    assert nav.find("a", href=ENGINEER_HOME).text() == "My emergencies"
    assert nav.find("a", href="/requests/") is None and nav.find("a", href="/staff/") is None


def test_the_engineers_buttons_follow_the_record_and_each_tap_records_its_time(engineer, dispatched):
    client = logged_in(engineer)
    assert step_buttons(client.page(engineer_url(dispatched))) == ["On my way", "Arrived"]

    for step, label, then in (
        ("en_route", "On my way", ["Arrived"]),
        ("arrived", "Arrived", ["Made safe"]),
        ("made_safe", "Made safe", ["Cleared"]),
    ):
        before = timezone.now()
        response = client.post(engineer_url(dispatched), {"action": "step", "step": step})
        assert (response.status_code, response["Location"]) == (302, engineer_url(dispatched))
        page = client.page(engineer_url(dispatched))
        assert page.messages()[0][1].startswith(f"Recorded: {label} at ")
        assert step_buttons(page) == then
        event = dispatched.events.get(kind=step)
        assert before <= event.occurred_at == event.recorded_at <= timezone.now()
        assert event.actor == engineer
    assert page.has_form("defer")  # after made safe: cleared, or repair deferred with a reason

    dispatched.refresh_from_db()
    assert dispatched.en_route_at <= dispatched.arrived_at <= dispatched.made_safe_at
    assert dispatched.stage == "made_safe"


def test_a_repeated_tap_is_refused_and_explained_not_recorded_twice(engineer, dispatched):
    client = logged_in(engineer)
    client.post(engineer_url(dispatched), {"action": "step", "step": "arrived"})

    response = client.post(engineer_url(dispatched), {"action": "step", "step": "arrived"}, follow=True)

    errors = [text for level, text in Page(response).messages() if level == "error"]
    assert len(errors) == 1 and "'Engineer arrived on site' cannot be recorded now" in errors[0]
    assert dispatched.events.filter(kind="arrived").count() == 1


def test_a_deferred_repair_needs_a_reason_and_then_closes_the_record(engineer, dispatched):
    client = logged_in(engineer)
    for step in ("arrived", "made_safe"):
        client.post(engineer_url(dispatched), {"action": "step", "step": step})

    refused = client.submit(engineer_url(dispatched), {"defer-reason": ""}, action="defer")
    assert Page(refused).field_errors("defer-reason") == ["This field is required."]
    assert not dispatched.events.filter(kind="deferred").exists()

    client.submit(engineer_url(dispatched), {"defer-reason": "Needs a road permit"}, action="defer")
    dispatched.refresh_from_db()
    assert (dispatched.stage, dispatched.events.get(kind="deferred").reason) == ("deferred", "Needs a road permit")
    page = client.page(engineer_url(dispatched))
    assert step_buttons(page) == ["Cleared"] and not page.has_form("defer")

    client.post(engineer_url(dispatched), {"action": "step", "step": "cleared"})
    page = client.page(engineer_url(dispatched))
    assert step_buttons(page) == []
    assert "Nothing more to record" in page.text()
    assert client.page(ENGINEER_HOME).main.find("a", href=engineer_url(dispatched)) is not None  # under "Closed"


def test_the_engineers_notes_and_photos_go_on_the_record_and_the_photos_download(engineer, dispatched):
    client = logged_in(engineer)
    client.submit(engineer_url(dispatched), {"record-kind": "advice", "record-body": "Air the house"}, action="record")
    response = client.post(
        engineer_url(dispatched),
        {"action": "photos", "photos-files": SimpleUploadedFile("valve.png", PNG + b"2", content_type="image/png")},
    )

    assert response.status_code == 302
    assert dispatched.events.get(kind="advice").body == "Air the house"
    attachment = Attachment.objects.get(original_name="valve.png")
    assert attachment.is_internal and attachment.uploaded_by == engineer
    link = client.page(engineer_url(dispatched)).main.find(
        "a", href=f"{engineer_url(dispatched)}files/{attachment.pk}/"
    )
    assert link.text() == "valve.png"
    download = client.get(link.attrs["href"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG + b"2"
    assert download["Cache-Control"] == "private, no-store"
    assert 'attachment; filename="valve.png"' in download["Content-Disposition"]


def test_a_file_of_another_request_is_a_404_even_through_the_engineers_own_emergency(engineer, dispatched, agent):
    elsewhere = report()
    from utility_services import services as request_services

    (foreign,) = request_services.service_request_attach(
        acting_user=agent, service_request=elsewhere.service_request, files=[SimpleUploadedFile("x.png", PNG)]
    )
    client = logged_in(engineer)

    assert client.get(f"{engineer_url(dispatched)}files/{foreign.pk}/").status_code == 404
    assert client.get(f"{engineer_url(elsewhere)}files/{foreign.pk}/").status_code == 404


def test_an_engineer_loses_the_record_when_it_is_handed_to_another(engineer, other_engineer, dispatched, agent):
    services.emergency_dispatch(acting_user=agent, emergency=dispatched, engineer=other_engineer)
    attachment = Attachment.objects.get(service_request_id=dispatched.service_request_id)

    first = logged_in(engineer)
    assert first.get(engineer_url(dispatched)).status_code == 404
    assert first.get(f"{engineer_url(dispatched)}files/{attachment.pk}/").status_code == 404
    assert first.post(engineer_url(dispatched), {"action": "step", "step": "arrived"}).status_code == 404
    assert logged_in(other_engineer).get(engineer_url(dispatched)).status_code == 200


# --- the Priority Services Register page --------------------------------------------------------


def test_a_customer_joins_the_register_with_consent_and_withdraws(customer):
    client = logged_in(customer)
    assert "Join the Priority Services Register" in client.page("/accounts/profile/").text()

    refused = client.submit(PSR, {"categories": ["young_children"], "needs": "Twins"}, action="register")
    assert Page(refused).field_errors("consent") == ["We need your consent to keep these details."]
    assert not PriorityServicesRegistration.objects.exists()

    response = client.submit(
        PSR, {"categories": ["young_children", "chronic_illness"], "needs": "Twins", "consent": "on"}, action="register"
    )
    assert response["Location"] == PSR
    registration = PriorityServicesRegistration.objects.get(user=customer)
    assert (registration.categories, registration.needs, registration.consent_source) == (
        ["chronic_illness", "young_children"],
        "Twins",
        "customer",
    )
    assert registration.consent_recorded_by == customer
    assert "You are on the register" in client.page("/accounts/profile/").text()

    client.submit(PSR, action="withdraw")
    assert not PriorityServicesRegistration.objects.filter(user=customer).exists()
    assert ("success", "You are no longer on the Priority Services Register.") in client.page(PSR).messages()


def test_the_register_page_refuses_an_unknown_category(customer):
    response = logged_in(customer).submit(PSR, {"categories": ["royalty"], "consent": "on"}, action="register")
    assert Page(response).field_errors("categories")[0].startswith("Select a valid choice.")
    assert not PriorityServicesRegistration.objects.exists()


def test_staff_and_engineers_have_no_register_entry_of_their_own(agent, engineer):
    for user in (agent, engineer):
        assert (
            logged_in(user).post(PSR, {"action": "register", "categories": ["disability"], "consent": "on"}).status_code
            == 403
        )
        assert "Priority Services Register" not in logged_in(user).page("/accounts/profile/").text()
    assert not PriorityServicesRegistration.objects.exists()
