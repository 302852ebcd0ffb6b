"""Open311 GeoReport v2 through plain HTTP, in both formats, every answer checked against the XSD
and the JSON Schemas written from the spec.

A 311 client discovers the endpoint, lists the services and their questions, posts a located
request with answers using its key, and follows it to closed; the same request is in the staff
console with its channel and application. Errors are the spec's list with its status codes.
Only requests that came in through Open311 are ever shown, without contact details or internal notes.
"""

from datetime import timedelta

import pytest
import xmltodict
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from open311 import services as open311_services
from open311.models import Application, Open311Request, hash_key
from testing.factories import ServiceRequestFactory, UserFactory
from testing.open311_schemas import assert_valid
from utility_services import services
from utility_services.models import RequestEvent, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

FORMATS = ["xml", "json"]
LEEDS = {"lat": "53.7965", "long": "-1.5366"}


def xml_text(response) -> str:
    return response.content.decode("utf-8")


def errors_of(response, status: int, fmt: str = "json") -> list[str]:
    """Assert the spec's error list with `status`; return the descriptions."""
    assert response.status_code == status, response.content
    assert_valid(response, "errors", fmt)
    if fmt == "json":
        return [error["description"] for error in response.json()]
    errors = xmltodict.parse(response.content, force_list=("error",))["errors"]["error"]
    return [error["description"] for error in errors]


def post_request(open311, api_key, fmt="json", **fields):
    data = {"api_key": api_key, "service_code": "maintenance", **LEEDS, **fields}
    return open311.post(f"requests.{fmt}", data)


def created_id(response) -> str:
    assert response.status_code == 200, response.content
    assert_valid(response, "created", "json")
    return response.json()[0]["service_request_id"]


# --- Discovery, services, definitions -----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_points_at_this_endpoint_in_both_formats(open311, fmt):
    response = open311.get(f"discovery.{fmt}")
    assert response.status_code == 200
    assert_valid(response, "discovery", fmt)
    if fmt == "json":
        (endpoint,) = response.json()["endpoints"]
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]


def test_discovery_changeset_moves_when_a_question_changes(open311, admin_user):
    before = open311.get("discovery.json").json()["changeset"]
    request_type = RequestType.objects.get(code="maintenance")
    request_type.updated_at = timezone.now() + timedelta(days=1)
    request_type.save(update_fields=["updated_at"])
    assert open311.get("discovery.json").json()["changeset"] > before


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_the_active_types_with_string_codes(open311, fmt):
    RequestType.objects.filter(code="other").update(is_active=False)
    response = open311.get(f"services.{fmt}")
    assert response.status_code == 200
    assert_valid(response, "services", fmt)
    if fmt == "json":
        services_by_code = {item["service_code"]: item for item in response.json()}
        assert "other" not in services_by_code
        assert services_by_code["meter-reading"]["metadata"] is True
        assert services_by_code["disconnection"]["metadata"] is False
        assert services_by_code["gas-leak"]["group"] == "Emergencies"
    else:
        assert "<service_code>gas-leak</service_code>" in xml_text(response)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_carries_the_types_questions(open311, fmt):
    response = open311.get(f"services/gas-leak.{fmt}")
    assert response.status_code == 200
    assert_valid(response, "service_definition", fmt)
    if fmt == "json":
        definition = response.json()
        codes = [attribute["code"] for attribute in definition["attributes"]]
        assert codes[:3] == ["gas_escaping", "smell_location", "meter_off"]
        escaping = definition["attributes"][0]
        assert escaping["datatype"] == "singlevaluelist" and escaping["order"] == 1
        assert {"key": "yes", "name": "Yes"} in escaping["values"]
        # An emergency is never refused for a missing answer, and the definition says so.
        assert not any(attribute["required"] for attribute in definition["attributes"])


def test_the_definition_says_which_questions_are_required(open311):
    (reading, *_) = open311.get("services/meter-reading.json").json()["attributes"]
    assert (reading["code"], reading["datatype"], reading["required"]) == ("reading", "number", True)
    assert "values" not in reading


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_or_inactive_service_is_a_404(open311, fmt):
    RequestType.objects.filter(code="other").update(is_active=False)
    for code in ("no-such-service", "other"):
        (message,) = errors_of(open311.get(f"services/{code}.{fmt}"), 404, fmt)
        assert code in message


@pytest.mark.parametrize("path", ["services.html", "nothing.json", "", "services/gas.leak.xml", "requests/.json"])
def test_anything_else_under_the_endpoint_is_a_404_in_the_spec_format(open311, path):
    fmt = "json" if path.endswith(".json") else "xml"
    errors_of(open311.get(path), 404, fmt)


# --- POST requests ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_posts_a_located_request_with_answers(open311, api_key, application, fmt):
    response = open311.post(
        f"requests.{fmt}",
        {
            "api_key": api_key,
            "service_code": "meter-reading",
            **LEEDS,
            "address_string": "14 Mill Lane, Leeds",
            "address_id": "UPRN-72631",
            "attribute[reading]": "04512",
            "attribute[read_at]": "2026-05-01T09:30:00+01:00",
            "email": "pat@example.org",
            "first_name": "Pat",
            "last_name": "Passer",
            "phone": "+44 7700 900123",
            "description": "Reading for May.\nMeter in the cupboard.",
            "media_url": "https://photos.example.org/meter.jpg",
            "device_id": "device-1",
            "account_id": "acc-9",
        },
    )
    assert response.status_code == 200, response.content
    assert_valid(response, "created", fmt)
    stored = ServiceRequest.objects.get()
    assert stored.channel == ServiceRequest.Channel.OPEN311
    assert stored.open311.application == application
    assert stored.attributes == {"reading": 4512, "read_at": "2026-05-01T09:30:00+01:00"}
    assert (stored.latitude, stored.longitude, stored.address) == (53.7965, -1.5366, "14 Mill Lane, Leeds")
    assert stored.details == "Reading for May.\nMeter in the cupboard."
    assert (stored.contact_name, stored.contact_email, stored.contact_phone) == (
        "Pat Passer",
        "pat@example.org",
        "+447700900123",
    )
    assert stored.customer is None and not User.objects.filter(email="pat@example.org").exists()
    record = stored.open311
    assert (record.address_id, record.media_url, record.device_id, record.account_id) == (
        "UPRN-72631",
        "https://photos.example.org/meter.jpg",
        "device-1",
        "acc-9",
    )
    if fmt == "json":
        assert response.json() == [{"service_request_id": stored.reference, "service_notice": None}]
    else:
        assert f"<service_request_id>{stored.reference}</service_request_id>" in xml_text(response)
        assert "<token>" not in xml_text(response)


def test_multi_value_answers_use_attribute_code_brackets(open311, api_key):
    response = open311.post(
        "requests.json",
        {
            "api_key": api_key,
            "service_code": "carbon-monoxide",
            "address_string": "Flat 2, 9 Kirkgate",
            "attribute[symptoms][]": ["headache", "nausea"],
            "attribute[alarm_sounding]": "yes",
        },
    )
    reference = created_id(response)
    assert ServiceRequest.objects.get(reference=reference).attributes == {
        "alarm_sounding": "yes",
        "symptoms": ["headache", "nausea"],
    }


def test_an_emergency_through_open311_gets_the_notice_the_alert_and_emergency_priority(
    open311, api_key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = open311.post(
            "requests.json",
            {"api_key": api_key, "service_code": "gas-leak", **LEEDS, "attribute[gas_escaping]": "yes"},
        )
    answer = response.json()[0]
    assert answer["service_notice"].startswith("Gas emergency: leave the property and call 0800 111 999")
    stored = ServiceRequest.objects.get(reference=answer["service_request_id"])
    assert stored.priority == ServiceRequest.Priority.EMERGENCY
    (alert,) = mail.outbox
    assert stored.reference in alert.subject
    assert "Open311" in alert.body and "Can you still smell gas or hear it escaping? Yes" in alert.body


@pytest.mark.parametrize(
    ("answers", "expected", "classification"),
    [
        (
            {"gas_escaping": "yes", "smell_location": "inside", "meter_off": "cannot", "anyone_vulnerable": "yes"},
            {"gas_escaping": True, "inside": True, "meter_off": False, "vulnerable_present": True},
            "uncontrolled",
        ),
        (
            {"gas_escaping": "no", "smell_location": "outside", "meter_off": "turned_off", "anyone_unwell": "no"},
            {"gas_escaping": False, "inside": False, "meter_off": True, "co_symptoms": False},
            "controlled",
        ),
        (
            {"gas_escaping": "unsure", "meter_off": "not_tried"},
            {"gas_escaping": None, "meter_off": None},
            "uncontrolled",
        ),
    ],
)
def test_the_answers_of_an_open311_gas_report_fill_its_emergency_record(
    open311, api_key, answers, expected, classification
):
    """A 311 app's answers are the record's: they classify the escape and set its clock."""
    fields = {f"attribute[{code}]": value for code, value in answers.items()}
    reference = created_id(
        open311.post("requests.json", {"api_key": api_key, "service_code": "gas-leak", **LEEDS, **fields})
    )
    record = ServiceRequest.objects.get(reference=reference).emergency
    assert {name: getattr(record, name) for name in expected} == expected
    assert record.classification == classification
    assert record.channel == "open311"
    assert record.is_vulnerable is bool(expected.get("vulnerable_present"))


def test_carbon_monoxide_symptoms_through_open311_make_the_escape_uncontrolled(open311, api_key):
    fields = {"attribute[symptoms][]": ["headache"], "attribute[alarm_sounding]": "yes"}
    reference = created_id(
        open311.post("requests.json", {"api_key": api_key, "service_code": "carbon-monoxide", **LEEDS, **fields})
    )
    record = ServiceRequest.objects.get(reference=reference).emergency
    assert record.co_symptoms is True and record.classification == "uncontrolled"


def test_an_emergency_without_answers_is_still_accepted(open311, api_key):
    created_id(open311.post("requests.json", {"api_key": api_key, "service_code": "gas-leak", **LEEDS}))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"attribute[reading]": "four thousand"}, "attribute[reading]: Enter a number"),
        ({}, "attribute[reading]: This question must be answered."),
        ({"attribute[reading]": "1", "attribute[colour]": "red"}, "attribute[colour]: Meter Reading does not ask"),
        ({"attribute[reading]": "1", "attribute[read_at]": "yesterday"}, "attribute[read_at]: Enter a date"),
        ({"attribute[reading]": "1", "attribute[meter_serial]": "a\nb"}, "attribute[meter_serial]: Keep this answer"),
    ],
)
def test_each_wrong_answer_is_a_400_naming_it(open311, api_key, fields, expected):
    response = open311.post("requests.json", {"api_key": api_key, "service_code": "meter-reading", **LEEDS, **fields})
    assert any(message.startswith(expected) for message in errors_of(response, 400)), response.content
    assert not ServiceRequest.objects.exists()


def test_a_choice_not_on_the_list_is_refused(open311, api_key):
    response = open311.post(
        "requests.xml",
        {"api_key": api_key, "service_code": "carbon-monoxide", **LEEDS, "attribute[symptoms][]": ["headache", "x"]},
    )
    (message,) = errors_of(response, 400, "xml")
    assert message.startswith("attribute[symptoms]: x: not a choice")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("key", "expected"), [(None, "api_key was not provided"), ("o311_wrong", "Invalid api_key"), ("", "not provided")]
)
def test_posting_without_a_valid_key_is_a_403(open311, fmt, key, expected):
    data = {"service_code": "maintenance", **LEEDS}
    if key is not None:
        data["api_key"] = key
    (message,) = errors_of(open311.post(f"requests.{fmt}", data), 403, fmt)
    assert expected in message
    assert not ServiceRequest.objects.exists()


def test_a_revoked_key_is_refused_and_the_service_refuses_it_too(open311, api_key, application, admin_user):
    created_id(post_request(open311, api_key))
    open311_services.application_revoke(acting_user=admin_user, application=application)
    errors_of(post_request(open311, api_key), 403)
    application.refresh_from_db()
    with pytest.raises(Exception, match="revoked"):
        open311_services.open311_request_submit(
            application=application, request_type=RequestType.objects.get(code="maintenance"), address_string="x"
        )
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "status", "expected"),
    [
        ({"service_code": ""}, 400, "service_code was not provided"),
        ({"service_code": "no-such-thing"}, 404, "service_code no-such-thing was not found"),
        ({"lat": "", "long": ""}, 400, "A location is required"),
        ({"long": ""}, 400, "lat and long must be sent together"),
        ({"lat": "95"}, 400, "lat must be a number"),
        ({"long": "east"}, 400, "long must be a number"),
        ({"lat": "nan"}, 400, "lat must be a number"),
        ({"email": "not-an-email"}, 400, "email is not a valid email address"),
        ({"phone": "12"}, 400, "phone:"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url must be an http or https URL"),
        ({"description": "x" * 4001}, 400, "description must be at most 4000 characters"),
        ({"address_string": "x" * 301}, 400, "address_string must be at most 300"),
    ],
)
def test_bad_input_is_a_4xx_in_the_spec_format(open311, api_key, fields, status, expected):
    messages = errors_of(post_request(open311, api_key, **fields), status)
    assert any(expected in message for message in messages), messages
    assert not ServiceRequest.objects.exists()


def test_several_errors_come_at_once(open311, api_key):
    messages = errors_of(post_request(open311, api_key, lat="north", email="nope", media_url="ftp://x"), 400)
    assert len(messages) == 3


def test_an_address_alone_or_an_address_id_alone_is_a_location(open311, api_key):
    created_id(post_request(open311, api_key, lat="", long="", address_string="Corner of Kirkgate and Vicar Lane"))
    created_id(post_request(open311, api_key, lat="", long="", address_id="UPRN-1"))


def test_the_body_must_be_form_encoded(open311, api_key):
    response = open311.client.post(
        "/open311/v2/requests.json",
        '{"api_key": "x", "service_code": "maintenance"}',
        content_type="application/json",
    )
    (message,) = errors_of(response, 400)
    assert "form-encoded" in message
    broken = open311.client.post(
        "/open311/v2/requests.json", b"--x\r\n", content_type="multipart/form-data"
    )  # no boundary
    errors_of(broken, 400)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_refused_with_405_and_allow(open311, method):
    response = getattr(open311.client, method)("/open311/v2/requests.xml")
    errors_of(response, 405, "xml")
    assert response["Allow"] == "GET, POST"


def test_a_post_to_a_read_only_route_is_a_405(open311, api_key):
    response = open311.post("services.json", {"api_key": api_key})
    errors_of(response, 405)


def test_a_jurisdiction_we_do_not_serve_is_a_404(open311, settings):
    settings.OPEN311_JURISDICTION_ID = "gas.example.org"
    assert open311.get("services.json", {"jurisdiction_id": "gas.example.org"}).status_code == 200
    assert open311.get("services.json").status_code == 200  # optional when one jurisdiction is served
    (message,) = errors_of(open311.get("services.json", {"jurisdiction_id": "city.example.org"}), 404)
    assert "jurisdiction_id" in message


# --- Accounts and privacy -----------------------------------------------------------------------


def test_a_reporter_with_a_customer_account_is_linked_to_it_and_nothing_of_it_is_returned(open311, api_key):
    customer = UserFactory(email="carol@example.org", address="1 Private Road", name="Carol Private")
    response = post_request(open311, api_key, email="Carol@Example.org", lat="", long="", address_id="UPRN-5")
    reference = created_id(response)
    stored = ServiceRequest.objects.get(reference=reference)
    assert stored.customer == customer
    # The account's address is not used as the location, and nothing about the account goes back.
    assert stored.address == ""
    for body in (
        response.content,
        open311.get("requests.json", {"service_request_id": reference}).content,
        open311.get(f"requests/{reference}.xml").content,
    ):
        text = body.decode()
        for secret in ("1 Private Road", "Carol", customer.customer_id, "carol@example.org", 'account_id": "'):
            assert secret not in text
    # The customer sees it in the portal list, marked as reported through Open311.
    portal = Client()
    portal.force_login(customer)
    page = portal.get(f"/requests/{stored.pk}/").content.decode()
    assert "Reported through" in page and "Open311" in page


def test_staff_accounts_are_never_linked(open311, api_key, agent):
    reference = created_id(post_request(open311, api_key, email=agent.email))
    assert ServiceRequest.objects.get(reference=reference).customer is None


def test_only_requests_that_came_through_open311_are_shown(open311, api_key, customer):
    private = ServiceRequestFactory(customer=customer, details="My bill is wrong")
    reference = created_id(post_request(open311, api_key))
    listed = open311.get("requests.json").json()
    assert [item["service_request_id"] for item in listed] == [reference]
    errors_of(open311.get(f"requests/{private.reference}.json"), 404)
    assert open311.get("requests.json", {"service_request_id": private.reference}).json() == []


def test_internal_notes_contact_details_priority_and_assignee_never_appear(open311, api_key, agent):
    reference = created_id(
        post_request(open311, api_key, email="pat@example.org", phone="07700900123", first_name="Pat")
    )
    stored = ServiceRequest.objects.get(reference=reference)
    services.service_request_update(acting_user=agent, service_request=stored, assignee=agent, priority=3)
    services.service_request_add_note(
        acting_user=agent, service_request=stored, body="INTERNAL valve code 4471", is_internal=True
    )
    services.service_request_update(acting_user=agent, service_request=stored, status="Resolved")
    for path in (
        "requests.json",
        f"requests/{reference}.xml",
        "servicerequestupdates.json",
        "servicerequestupdates.xml",
    ):
        text = open311.get(path).content.decode()
        for secret in ("INTERNAL", "4471", "pat@example.org", "07700900123", "Pat", agent.name, "High"):
            assert secret not in text, (path, secret)


# --- GET requests -------------------------------------------------------------------------------


@pytest.fixture
def posted(open311, api_key):
    """Three Open311 requests: a maintenance one, a meter reading, and an emergency."""
    references = [
        created_id(post_request(open311, api_key, description="Meter box door hanging off")),
        created_id(post_request(open311, api_key, service_code="meter-reading", **{"attribute[reading]": "7"})),
        created_id(post_request(open311, api_key, service_code="gas-leak")),
    ]
    return [ServiceRequest.objects.get(reference=reference) for reference in references]


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_are_listed_newest_first_with_every_field(open311, posted, fmt):
    response = open311.get(f"requests.{fmt}")
    assert response.status_code == 200
    assert_valid(response, "service_requests", fmt)
    if fmt == "json":
        items = response.json()
        assert [item["service_request_id"] for item in items] == [item.reference for item in reversed(posted)]
        first = items[-1]
        assert first["service_code"] == "maintenance" and first["status"] == "open"
        assert first["description"] == "Meter box door hanging off"
        assert first["lat"] == 53.7965 and first["long"] == -1.5366
        assert first["agency_responsible"] == "Gas Utility Service"
        assert first["expected_datetime"] == timezone.localtime(posted[0].due_at).isoformat(timespec="seconds")
        assert first["service_notice"] is None
        assert items[0]["service_notice"].startswith("Gas emergency")


def test_service_request_id_overrides_every_other_filter(open311, posted):
    wanted = f"{posted[0].reference},{posted[2].reference.lower()}, SR-NONE-XIST"
    items = open311.get(
        "requests.json",
        {
            "service_request_id": wanted,
            "service_code": "meter-reading",
            "status": "closed",
            "start_date": "2001-01-01T00:00:00Z",
            "page_size": "1",
        },
    ).json()
    assert {item["service_request_id"] for item in items} == {posted[0].reference, posted[2].reference}


def test_malformed_arguments_are_refused_even_beside_service_request_id(open311, posted):
    # Found by the outsider fuzz: the published schema says these values are invalid, so a
    # client must hear it, even though service_request_id would have overridden them.
    response = open311.get(
        "requests.json", {"service_request_id": posted[0].reference, "status": "bogus", "page_size": "x"}
    )
    assert response.status_code == 400
    descriptions = " ".join(error["description"] for error in response.json())
    assert "status must be open, closed" in descriptions and "page_size must be a whole number" in descriptions


def test_filters_by_service_code_and_status(open311, posted, agent):
    services.service_request_update(acting_user=agent, service_request=posted[0], status="Resolved")
    codes = open311.get("requests.json", {"service_code": "maintenance,gas-leak"}).json()
    assert {item["service_code"] for item in codes} == {"maintenance", "gas-leak"}
    assert open311.get("requests.json", {"service_code": "no-such-service"}).json() == []
    closed = open311.get("requests.json", {"status": "closed"}).json()
    assert [item["service_request_id"] for item in closed] == [posted[0].reference]
    assert closed[0]["status_notes"] == "Resolved."
    assert len(open311.get("requests.json", {"status": "open"}).json()) == 2
    assert len(open311.get("requests.json", {"status": "open,closed"}).json()) == 3


def test_dates_default_to_the_last_90_days_and_may_span_at_most_90(open311, posted):
    old = posted[1]
    ServiceRequest.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=120))
    assert len(open311.get("requests.json").json()) == 2
    found = open311.get(
        "requests.json", {"start_date": "2000-01-01T00:00:00Z", "end_date": "2000-03-01T00:00:00+01:00"}
    ).json()
    assert found == []
    start = (timezone.now() - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [item["service_request_id"] for item in open311.get("requests.json", {"start_date": start}).json()] == [
        old.reference
    ]
    errors_of(
        open311.get("requests.json", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}),
        400,
    )
    errors_of(open311.get("requests.xml", {"start_date": "2026-01-01"}), 400, "xml")  # no time zone
    errors_of(open311.get("requests.json", {"start_date": "2026-02-30T00:00:00Z"}), 400)


@pytest.mark.parametrize(
    "params",
    [{"status": "pending"}, {"page": "0"}, {"page_size": "1001"}, {"page": "x"}],
)
def test_bad_filters_are_400s(open311, params):
    errors_of(open311.get("requests.json", params), 400)


def test_pages_follow_the_page_and_page_size_extension(open311, posted):
    pages = [
        [item["service_request_id"] for item in open311.get("requests.json", {"page": page, "page_size": 2}).json()]
        for page in (1, 2, 3)
    ]
    assert pages == [[posted[2].reference, posted[1].reference], [posted[0].reference], []]


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_is_a_one_element_list(open311, posted, fmt):
    response = open311.get(f"requests/{posted[0].reference}.{fmt}")
    assert response.status_code == 200
    assert_valid(response, "service_requests", fmt)
    if fmt == "json":
        (item,) = response.json()
        assert item["service_request_id"] == posted[0].reference
    errors_of(open311.get(f"requests/SR-NONE-XIST.{fmt}"), 404, fmt)


def test_a_client_follows_its_request_to_closed(open311, api_key, agent):
    reference = created_id(post_request(open311, api_key))
    stored = ServiceRequest.objects.get(reference=reference)
    requested = open311.get(f"requests/{reference}.json").json()[0]
    for status in ("In Progress", "Resolved", "Closed"):
        services.service_request_update(
            acting_user=agent,
            service_request=stored,
            status=status,
            **({"resolution_details": "Door rehung."} if status == "Resolved" else {}),
        )
        item = open311.get(f"requests/{reference}.json").json()[0]
        assert item["status"] == ("open" if status == "In Progress" else "closed")
    assert item["status_notes"] == "Closed. Door rehung."
    assert item["updated_datetime"] >= requested["updated_datetime"]
    stored.refresh_from_db()
    assert item["updated_datetime"] == timezone.localtime(stored.updated_at).isoformat(timespec="seconds")


# --- Tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_batch_client_gets_a_token_and_resolves_it(open311, api_key, application, fmt):
    Application.objects.filter(pk=application.pk).update(returns_tokens=True)
    response = post_request(open311, api_key, fmt=fmt)
    assert response.status_code == 200
    assert_valid(response, "created", fmt)
    record = Open311Request.objects.get()
    if fmt == "json":
        assert response.json() == [{"token": record.token, "service_notice": None}]
    else:
        assert f"<token>{record.token}</token>" in xml_text(response) and "service_request_id" not in xml_text(response)
    resolved = open311.get(f"tokens/{record.token}.{fmt}")
    assert resolved.status_code == 200
    assert_valid(resolved, "token", fmt)
    if fmt == "json":
        assert resolved.json() == [{"service_request_id": record.service_request.reference, "token": record.token}]
    errors_of(open311.get(f"tokens/unknown-token.{fmt}"), 404, fmt)


# --- servicerequestupdates (mySociety) ----------------------------------------------------------


def post_update(open311, api_key, reference, fmt="json", **fields):
    data = {
        "api_key": api_key,
        "service_request_id": reference,
        "update_id": "fms-1",
        "status": "OPEN",
        "updated_datetime": "2026-05-01T10:00:00+01:00",
        "description": "Still smells near the gate",
        "first_name": "Pat",
        "last_name": "Passer",
        **fields,
    }
    return open311.post(f"servicerequestupdates.{fmt}", data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_update_is_a_public_comment_recorded_once(open311, api_key, fmt):
    reference = created_id(post_request(open311, api_key))
    response = post_update(open311, api_key, reference, fmt=fmt)
    assert response.status_code == 200, response.content
    assert_valid(response, "update_created", fmt)
    again = post_update(open311, api_key, reference, fmt=fmt)
    assert again.content == response.content
    (comment,) = RequestEvent.objects.filter(kind=RequestEvent.Kind.COMMENT)
    assert comment.actor is None and comment.actor_name == "Pat Passer (via City 311 app)"
    assert comment.body.startswith("Still smells near the gate") and "OPEN" in comment.body
    assert not comment.is_internal
    assert ServiceRequest.objects.get(reference=reference).status == "Pending"


def test_reopen_reopens_a_resolved_request_and_other_statuses_change_nothing(open311, api_key, agent):
    reference = created_id(post_request(open311, api_key))
    stored = ServiceRequest.objects.get(reference=reference)
    post_update(open311, api_key, reference, status="FIXED", update_id="u1")
    assert ServiceRequest.objects.get(pk=stored.pk).status == "Pending"
    services.service_request_update(acting_user=agent, service_request=stored, status="Resolved")
    post_update(open311, api_key, reference, status="CLOSED", update_id="u2")
    assert ServiceRequest.objects.get(pk=stored.pk).status == "Resolved"
    post_update(open311, api_key, reference, status="REOPEN", update_id="u3")
    assert ServiceRequest.objects.get(pk=stored.pk).status == "Pending"


def test_an_update_for_another_applications_request_is_a_404(open311, api_key, admin_user, customer):
    _other, other_key = open311_services.application_issue(acting_user=admin_user, name="Other app")
    reference = created_id(post_request(open311, other_key))
    errors_of(post_update(open311, api_key, reference), 404)
    portal_only = ServiceRequestFactory(customer=customer)
    errors_of(post_update(open311, api_key, portal_only.reference), 404)
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.COMMENT).exists()


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"api_key": ""}, 403),
        ({"status": "MAYBE"}, 400),
        ({"update_id": ""}, 400),
        ({"updated_datetime": "yesterday"}, 400),
        ({"service_request_id": ""}, 400),
    ],
)
def test_bad_updates_are_refused(open311, api_key, fields, status):
    reference = created_id(post_request(open311, api_key))
    fields = dict(fields)
    errors_of(post_update(open311, fields.pop("api_key", api_key), reference, **fields), status)
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.COMMENT).exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_list_status_changes_and_public_notes_with_extended_statuses(open311, api_key, agent, fmt):
    reference = created_id(post_request(open311, api_key))
    stored = ServiceRequest.objects.get(reference=reference)
    services.service_request_update(acting_user=agent, service_request=stored, status="On Hold")
    services.service_request_add_note(
        acting_user=agent, service_request=stored, body="Parts ordered, visit Tuesday.", is_internal=False
    )
    services.service_request_add_note(acting_user=agent, service_request=stored, body="INTERNAL", is_internal=True)
    services.service_request_update(
        acting_user=agent, service_request=stored, status="Resolved", resolution_details="Door rehung."
    )
    post_update(open311, api_key, reference, description="Thanks!", status="UNCHANGED")  # not republished
    response = open311.get(f"servicerequestupdates.{fmt}")
    assert response.status_code == 200
    assert_valid(response, "service_request_updates", fmt)
    if fmt == "json":
        rows = [(item["status"], item["description"], item["external_status_code"]) for item in response.json()]
        assert rows == [
            ("action_scheduled", "Status changed to On Hold.", "On Hold"),
            ("action_scheduled", "Parts ordered, visit Tuesday.", "On Hold"),
            # The resolution is written just before the status moves.
            ("action_scheduled", "Door rehung.", "On Hold"),
            ("fixed", "Status changed to Resolved.", "Resolved"),
        ]
        assert {item["service_request_id"] for item in response.json()} == {reference}
    errors_of(open311.get(f"servicerequestupdates.{fmt}", {"end_date": "soon"}), 400, fmt)


# --- Keys: hashing, last use, rate ----------------------------------------------------------------


def test_keys_are_stored_hashed_and_record_their_last_use(open311, api_key, application):
    assert api_key.startswith("o311_") and len(api_key) > 40
    stored = Application.objects.get(pk=application.pk)
    assert stored.key_hash == hash_key(api_key) and api_key not in str(Application.objects.values().get())
    assert stored.last_used_at is None
    created_id(post_request(open311, api_key))
    assert Application.objects.get(pk=application.pk).last_used_at is not None


def test_each_key_has_its_own_rate_limit(open311, api_key, application, admin_user):
    Application.objects.filter(pk=application.pk).update(rate_limit="2/min")
    _other, other_key = open311_services.application_issue(acting_user=admin_user, name="Other app")
    created_id(post_request(open311, api_key))
    created_id(post_request(open311, api_key))
    limited = post_request(open311, api_key)
    (message,) = errors_of(limited, 429)
    assert int(limited["Retry-After"]) > 0 and "Too many requests" in message
    created_id(post_request(open311, other_key))  # another key is not affected
    assert ServiceRequest.objects.count() == 3


def test_reads_are_rate_limited_per_address(open311, settings):
    settings.OPEN311_READ_RATE = "3/min"
    for _ in range(3):
        assert open311.get("services.json").status_code == 200
    errors_of(open311.get("services.xml"), 429, "xml")


# --- Staff see it -------------------------------------------------------------------------------


def test_staff_see_the_channel_the_application_and_the_answers(open311, api_key, agent_api, agent):
    reference = created_id(
        post_request(
            open311,
            api_key,
            service_code="meter-reading",
            media_url="https://photos.example.org/m.jpg",
            **{"attribute[reading]": "4512"},
        )
    )
    stored = ServiceRequest.objects.get(reference=reference)
    detail = agent_api.get(f"/api/admin/requests/{stored.pk}/").json()["data"]
    assert detail["channel"] == "open311" and detail["attributes"] == {"reading": 4512}
    page = Client()
    page.force_login(agent)
    html = page.get(f"/staff/requests/{stored.pk}/").content.decode()
    assert "City 311 app" in html and "What does the meter read?" in html and "4512" in html
    assert "https://photos.example.org/m.jpg" in html
    queue = page.get("/staff/").content.decode()
    assert reference in queue and "Open311" in queue


@pytest.mark.parametrize("argument", ["end_date=0001-01-01T01:00:00Z", "start_date=9999-12-31T00:00:00Z"])
@pytest.mark.parametrize("resource", ["requests.json", "servicerequestupdates.json"])
def test_a_window_at_the_end_of_the_calendar_is_a_400_not_a_500(open311, resource, argument):
    # Found by the in-suite fuzz: the default 90-day span overflowed the datetime range.
    name, value = argument.split("=")
    response = open311.get(resource, {name: value})
    assert response.status_code == 400
    assert "90-day span" in response.json()[0]["description"]


@pytest.mark.parametrize(
    "argument", ["page_size=\x0c", "page_size= 5", "page=\uff15", "start_date= 2024-01-01T00:00:00Z"]
)
def test_a_typed_argument_is_not_trimmed_into_a_value(open311, argument):
    # Found by the in-suite fuzz: a lone form feed for page_size was trimmed into "absent".
    name, value = argument.split("=", 1)
    response = open311.get("requests.json", {name: value})
    assert response.status_code == 400
    assert name in response.json()[0]["description"]
