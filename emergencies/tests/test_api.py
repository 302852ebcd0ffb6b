"""The emergency API over HTTP with the real session and CSRF flow: reporters, dispatchers, engineers."""

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.utils import timezone

from accounts import services as account_services
from emergencies.models import Emergency
from testing.assertions import error_details, success_data
from testing.factories import make_engineer, report
from utility_services.emergency import safety_notice
from utility_services.models import Attachment, ServiceRequest

pytestmark = pytest.mark.django_db
REPORT = "/api/emergencies/report/"
BOARD = "/api/admin/emergencies/"
MINE = "/api/engineer/emergencies/"
PNG = b"\x89PNG\r\n\x1a\n-photo-"
ANSWERS = {"inside": True, "gas_escaping": True, "meter_off": False, "co_symptoms": False, "vulnerable_present": None}


def assert_never_a_dead_end(details: dict, message: str) -> None:
    notice = safety_notice()
    assert details["emergency_phone"] == notice["emergency_phone"]
    assert details["safety_notice"] == notice
    assert message.startswith(f"If you smell gas or suspect carbon monoxide, call {notice['emergency_phone']} now.")


# --- Reporting -------------------------------------------------------------------------------


def test_anyone_reports_and_the_answer_leads_with_the_safety_notice(api, settings):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    payload = {
        "phone": "+44 1632 960 123",
        "address": "12 High Street",
        "postcode": "AB1 2CD",
        "location_details": "Smell strongest by the side gate",
        **ANSWERS,
    }
    response = api.post(REPORT, payload)

    data = success_data(response, 201)
    assert response.json()["message"].startswith("Gas emergency: leave the property and call 0800 000 4242 now")
    assert next(iter(data)) == "safety_notice"
    assert data["safety_notice"]["emergency_phone"] == data["emergency_phone"] == "0800 000 4242"
    assert data["track_url"] is None
    emergency = Emergency.objects.get(reference=data["reference"])
    assert data["reference"] in response.json()["message"]
    assert emergency.service_request.customer is None
    assert (emergency.channel, emergency.reporter_phone, emergency.classification) == (
        "api",
        "+441632960123",
        "uncontrolled",
    )
    assert (emergency.inside, emergency.gas_escaping, emergency.meter_off, emergency.vulnerable_present) == (
        True,
        True,
        False,
        None,
    )
    assert emergency.location_details == "Smell strongest by the side gate"


def test_a_position_is_enough_without_an_address(api):
    data = success_data(api.post(REPORT, {"phone": "07700900123", "latitude": 51.5, "longitude": -0.12}), 201)
    emergency = Emergency.objects.get(reference=data["reference"])
    assert (emergency.latitude, emergency.longitude, emergency.address) == (51.5, -0.12, "")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"address": "1 Gas Street"}, "phone"),
        ({"phone": "07700900123"}, "address"),
        ({"phone": "not a phone", "address": "1 Gas Street"}, "phone"),
        ({"phone": "07700900123", "latitude": 51.5}, "longitude"),
        ({"phone": "07700900123", "address": "x", "type_of_request": "Maintenance"}, "type_of_request"),
        ({"phone": "07700900123", "address": "x", "status": "Resolved"}, "status"),
        ({"phone": "07700900123", "address": "x", "inside": "perhaps"}, "inside"),
    ],
)
def test_an_invalid_report_still_gives_the_emergency_number(api, payload, field):
    response = api.post(REPORT, payload)

    details = error_details(response, 400)
    assert field in details
    assert_never_a_dead_end(details, response.json()["error"])
    assert not ServiceRequest.objects.exists()


def test_a_report_that_is_not_json_still_gives_the_emergency_number(api):
    response = api.post(REPORT, "phone=1", content_type="application/x-www-form-urlencoded")
    assert_never_a_dead_end(error_details(response, 415), response.json()["error"])


def test_reports_are_throttled_per_address_and_the_refusal_gives_the_number(api, customer_api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "emergency_report": "2/hour"}
    payload = {"phone": "07700900123", "address": "1 Gas Street"}
    success_data(api.post(REPORT, payload), 201)
    success_data(customer_api.post(REPORT, payload), 201)  # same address (the test client's): same counter

    response = api.post(REPORT, payload)
    assert_never_a_dead_end(error_details(response, 429), response.json()["error"])
    assert int(response["Retry-After"]) > 0
    assert Emergency.objects.count() == 2


def test_a_logged_in_customer_reports_prefilled_from_their_account(customer_api, customer):
    response = customer_api.post(REPORT, {"type_of_request": "Carbon Monoxide", "co_symptoms": True})

    data = success_data(response, 201)
    emergency = Emergency.objects.get(reference=data["reference"])
    service_request = emergency.service_request
    assert service_request.customer == customer
    assert (emergency.reporter_phone, emergency.address) == (customer.phone_number, customer.address)
    assert service_request.request_type.name == "Carbon Monoxide"
    assert data["track_url"] == f"/api/track/{service_request.pk}/"
    tracked = success_data(customer_api.get(data["track_url"]))
    assert tracked["reference"] == data["reference"]
    assert [(event["kind"], event["field"]) for event in tracked["timeline"]] == [
        ("submitted", ""),
        ("emergency", "receipt"),
    ]


def test_a_logged_in_report_without_the_csrf_token_is_refused_with_the_number(customer_api):
    response = customer_api.post(REPORT, {"address": "1 Gas Street"}, csrf=False)
    details = error_details(response, 403)
    assert "CSRF" in response.json()["error"]
    assert_never_a_dead_end(details, response.json()["error"])


def test_a_customer_on_the_register_is_flagged_vulnerable_on_the_board(customer, customer_api, agent_api):
    account_services.priority_services_register(
        acting_user=customer, user=customer, categories=["pensionable_age"], consent=True
    )
    reference = success_data(customer_api.post(REPORT, {"meter_off": True, "gas_escaping": False}), 201)["reference"]

    (row,) = success_data(agent_api.get(BOARD))
    assert row["reference"] == reference
    assert (row["is_vulnerable"], row["on_priority_register"], row["classification"]) == (True, True, "controlled")
    detail = success_data(agent_api.get(f"{BOARD}{row['id']}/"))
    assert detail["priority_services"]["category_labels"] == ["Of pensionable age"]


# --- Dispatchers -------------------------------------------------------------------------------


def test_staff_enter_a_phoned_in_report_with_the_callers_time(agent_api, agent, customer):
    called = (timezone.now() - timedelta(minutes=12)).replace(microsecond=0)
    payload = {
        "received_at": called.isoformat(),
        "customer": customer.pk,
        "phone": "07700900555",
        "address": "3 Mill Lane",
        "name": "Caller's neighbour",
        **ANSWERS,
    }
    response = agent_api.post(BOARD, payload)

    data = success_data(response, 201)
    assert data["reference"] in response.json()["message"]
    emergency = Emergency.objects.get(pk=data["id"])
    receipt = emergency.events.get()
    assert (emergency.channel, emergency.received_at, receipt.occurred_at) == ("phone", called, called)
    assert receipt.recorded_at > called and receipt.actor == agent
    assert emergency.service_request.customer == customer
    assert emergency.service_request.events.get(kind="submitted").actor == agent
    assert data["deadline_at"] == (called + timedelta(hours=1)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "received_at",
    [timedelta(hours=1), -timedelta(days=2)],
    ids=["future", "over-a-day-ago"],
)
def test_a_phoned_in_reports_time_must_be_plausible(agent_api, received_at):
    payload = {"received_at": (timezone.now() + received_at).isoformat(), "phone": "07700900555", "address": "x"}
    assert "received_at" in error_details(agent_api.post(BOARD, payload), 400)


def test_the_board_shows_the_clock_the_vulnerable_flag_and_the_engineer(agent_api, engineer):
    later = report(address="2 Later Road")
    urgent = report(address="1 Urgent Road")
    success_data(agent_api.post(f"{BOARD}{urgent.pk}/dispatch/", {"engineer": engineer.pk}), 201)

    rows = success_data(agent_api.get(BOARD))
    assert [row["reference"] for row in rows] == [later.reference, urgent.reference]  # undispatched first
    row = rows[1]
    assert row["engineer"] == {"id": engineer.pk, "name": engineer.name, "username": engineer.username}
    assert row["clock_state"] == "on_time" and 3500 < row["seconds_left"] <= 3600
    assert row["stage"] == "dispatched" and row["is_vulnerable"] is False


def test_the_whole_flow_through_the_api(agent_api, admin_api, engineer_api, engineer, customer_api):
    reference = success_data(customer_api.post(REPORT, ANSWERS), 201)["reference"]
    emergency = Emergency.objects.get(reference=reference)
    one = f"{BOARD}{emergency.pk}/"

    success_data(agent_api.post(f"{one}dispatch/", {"engineer": engineer.pk, "note": "Nearest van"}), 201)
    (mine,) = success_data(engineer_api.get(MINE))
    assert mine["reference"] == reference
    assert success_data(engineer_api.get(f"{MINE}{emergency.pk}/"))["allowed_steps"] == ["en_route", "arrived"]

    for step in ("en_route", "arrived", "made_safe"):
        success_data(engineer_api.post(f"{MINE}{emergency.pk}/steps/", {"step": step}), 201)
    success_data(engineer_api.post(f"{MINE}{emergency.pk}/records/", {"kind": "advice", "body": "Air the house"}), 201)
    photo = SimpleUploadedFile("meter.png", PNG)
    success_data(
        engineer_api.request(
            "post", f"{MINE}{emergency.pk}/photos/", {"files": [photo]}, content_type=MULTIPART_CONTENT
        ),
        201,
    )
    success_data(
        engineer_api.post(f"{MINE}{emergency.pk}/steps/", {"step": "deferred", "reason": "Needs a road permit"}), 201
    )
    refused = engineer_api.post(f"{MINE}{emergency.pk}/steps/", {"step": "made_safe"})
    assert error_details(refused, 409)["allowed_steps"] == ["cleared"]

    arrival = emergency.events.get(kind="arrived")
    corrected = (emergency.received_at + (arrival.occurred_at - emergency.received_at) / 2).isoformat()
    success_data(
        agent_api.post(f"{one}corrections/", {"event": arrival.pk, "occurred_at": corrected, "reason": "Radio log"}),
        201,
    )
    assert agent_api.post(f"{one}reviews/", {"comment": "Reviewed"}).status_code == 403
    success_data(admin_api.post(f"{one}reviews/", {"comment": "Response within standard."}), 201)

    record = success_data(agent_api.get(one))
    assert record["stage"] == "deferred" and record["closed_at"] is not None
    assert record["attended_within_standard"] is True
    assert record["reviewed_at"] is not None
    kinds = [event["kind"] for event in record["events"]]
    assert kinds == [
        "receipt",
        "dispatched",
        "en_route",
        "arrived",
        "made_safe",
        "advice",
        "photo",
        "deferred",
        "correction",
        "review",
    ]
    arrived = record["events"][3]
    assert arrived["effective_occurred_at"] != arrived["occurred_at"]
    (attachment,) = record["attachments"]
    assert attachment["is_internal"] is True
    # Off the board, but on the customer's timeline in plain words; nothing internal.
    assert success_data(agent_api.get(BOARD)) == []
    tracked = success_data(customer_api.get(f"/api/track/{emergency.service_request_id}/"))
    texts = [event["new_value"] for event in tracked["timeline"] if event["kind"] == "emergency"]
    assert "An engineer is on the way" in texts and "Advice given" in texts
    assert not {"correction", "review", "photo"} & {event["field"] for event in tracked["timeline"]}
    assert tracked["attachments"] == []


def test_a_correction_must_name_an_entry_of_this_record(agent_api):
    emergency, other = report(), report()
    payload = {"event": other.events.get().pk, "occurred_at": timezone.now().isoformat(), "reason": "x"}
    error_details(agent_api.post(f"{BOARD}{emergency.pk}/corrections/", payload), 404)


def test_override_and_incident_and_regulator_through_the_api(agent_api):
    emergency = report(answers=None)
    one = f"{BOARD}{emergency.pk}/"
    event = success_data(
        agent_api.post(f"{one}classification/", {"classification": "controlled", "reason": "Meter off, smell gone"}),
        201,
    )
    assert event["data"] == {"from": "uncontrolled", "to": "controlled"}
    success_data(agent_api.post(f"{one}incidents/", {"evacuation": True, "description": "Two flats evacuated"}), 201)
    told = timezone.now()
    success_data(
        agent_api.post(f"{one}regulator-notifications/", {"regulator": "HSE", "occurred_at": told.isoformat()}), 201
    )
    record = success_data(agent_api.get(one))
    assert (record["classification"], record["derived_classification"], record["has_incident"]) == (
        "controlled",
        "uncontrolled",
        True,
    )
    assert datetime.fromisoformat(record["regulator_notified_at"]) == told


# --- Engineers -----------------------------------------------------------------------------


def test_engineers_see_only_what_is_dispatched_to_them(engineer_api, engineer, agent_api):
    mine, theirs = report(), report()
    success_data(agent_api.post(f"{BOARD}{mine.pk}/dispatch/", {"engineer": engineer.pk}), 201)
    success_data(agent_api.post(f"{BOARD}{theirs.pk}/dispatch/", {"engineer": make_engineer().pk}), 201)

    assert [row["id"] for row in success_data(engineer_api.get(MINE))] == [mine.pk]
    error_details(engineer_api.get(f"{MINE}{theirs.pk}/"), 404)
    error_details(engineer_api.post(f"{MINE}{theirs.pk}/steps/", {"step": "en_route"}), 404)
    assert theirs.events.count() == 2


def test_engineers_are_not_staff(engineer_api, engineer):
    error_details(engineer_api.get("/api/admin/requests/"), 403)
    error_details(engineer_api.get(BOARD), 403)
    assert engineer_api.client.get("/staff/").status_code == 403
    admin_page = engineer_api.client.get("/admin/")
    assert admin_page.status_code == 302 and "/admin/login/" in admin_page["Location"]


def test_an_engineers_photo_is_internal_and_never_served_to_the_customer(
    engineer_api, engineer, agent_api, customer_api
):
    reference = success_data(customer_api.post(REPORT, {}), 201)["reference"]
    emergency = Emergency.objects.get(reference=reference)
    success_data(agent_api.post(f"{BOARD}{emergency.pk}/dispatch/", {"engineer": engineer.pk}), 201)
    success_data(
        engineer_api.request(
            "post",
            f"{MINE}{emergency.pk}/photos/",
            {"files": [SimpleUploadedFile("leak.png", PNG)]},
            content_type=MULTIPART_CONTENT,
        ),
        201,
    )
    attachment = Attachment.objects.get()
    assert attachment.is_internal and attachment.uploaded_by == engineer
    url = f"/api/track/{emergency.service_request_id}/attachments/{attachment.pk}/"
    assert customer_api.get(url).status_code == 404


# --- Hostile input ------------------------------------------------------------------------------

HOSTILE = [
    {"occurred_at": "0001-01-01T00:00:00+01:00"},
    {"occurred_at": "9999-12-31T23:59:59-14:00"},
    {"occurred_at": "2026-02-30T25:61:00"},
    {"received_at": "0001-01-01T00:00:00+01:00", "phone": "07700900123", "address": "x"},
    {"latitude": 1e308, "longitude": -1e308, "phone": "07700900123"},
    {"latitude": "NaN", "longitude": "Infinity", "phone": "07700900123"},
    {"event": 10**30, "occurred_at": "2026-01-01T00:00:00Z", "reason": "x"},
    {"event": -1},
    {"engineer": 10**30},
    {"engineer": "1; DROP TABLE"},
    {"step": ["arrived"]},
    {"kind": {"a": 1}, "body": None},
    {"body": "\x00nul", "kind": "note"},
    {"comment": "x" * 100_000},
    {"classification": "controlled", "reason": "\ud800"},
    {"phone": "0" * 40, "address": "a" * 1000},
    {"injury": "maybe"},
    {"customer": 10**30, "received_at": "2026-01-01T00:00:00Z"},
]


@pytest.mark.parametrize("payload", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_a_clear_4xx_never_a_5xx(agent_api, admin_api, engineer_api, engineer, api, payload):
    emergency = report()
    success_data(agent_api.post(f"{BOARD}{emergency.pk}/dispatch/", {"engineer": engineer.pk}), 201)
    targets = [
        (api, REPORT),
        (agent_api, BOARD),
        *[
            (admin_api, f"{BOARD}{emergency.pk}/{action}/")
            for action in (
                "dispatch",
                "classification",
                "steps",
                "records",
                "incidents",
                "regulator-notifications",
                "corrections",
                "reviews",
            )
        ],
        *[(engineer_api, f"{MINE}{emergency.pk}/{action}/") for action in ("steps", "records", "incidents")],
    ]
    for client, url in targets:
        response = client.post(url, payload)
        assert response.status_code < 500, (url, response.content[:300])
        if response.status_code >= 400:
            assert set(response.json()) == {"error", "details"}
