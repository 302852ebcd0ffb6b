"""Questions per request type (Open311's attributes) and a location, through every interface.

An admin defines a type's questions in the Django admin; the API, the portal's second step and
Open311 all have their answers checked by one function (`attributes.clean_answers`, called by the
submit service), refused with a 400 that names each wrong answer; staff see the answers on the
request, in the API, the staff page and the CSV. The portal asks where the problem is, starting
from the customer's address.
"""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from testing.admin_client import AdminSiteClient
from testing.assertions import error_details, success_data
from testing.page_client import Page, PageClient
from utility_services import services
from utility_services.attributes import InvalidAnswers, clean_answers
from utility_services.models import RequestAttribute, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

SUBMIT = "/api/submit/"


def submit(client, type_name, attributes=None, **fields):
    body = {"type_of_request": type_name, "details": "Please see the answers", **fields}
    if attributes is not None:
        body["attributes"] = attributes
    return client.post(SUBMIT, body)


def request_type(name: str) -> RequestType:
    return RequestType.objects.get(name=name)


# --- The seeded questions and the catalogue ------------------------------------------------------


def test_the_catalogue_lists_each_types_code_and_questions(api):
    types = {item["name"]: item for item in success_data(api.get("/api/request-types/"))}
    assert types["Meter Reading"]["code"] == "meter-reading"
    reading = types["Meter Reading"]["attributes"][0]
    assert {key: reading[key] for key in ("code", "datatype", "required", "order")} == {
        "code": "reading",
        "datatype": "number",
        "required": True,
        "order": 1,
    }
    leak = [question["code"] for question in types["Gas Leak"]["attributes"]]
    assert leak == ["gas_escaping", "smell_location", "meter_off", "anyone_unwell", "anyone_vulnerable"]
    assert {"key": "turned_off", "name": "Yes, it is now turned off"} in types["Gas Leak"]["attributes"][2]["values"]


# --- The API -------------------------------------------------------------------------------------


def test_answers_of_every_kind_are_stored_normalised(customer_api):
    data = success_data(
        submit(
            customer_api, "Meter Reading", {"reading": "04512", "read_at": "2026-05-01T09:30", "meter_serial": " E6S1 "}
        ),
        201,
    )
    assert data["attributes"] == {"reading": 4512, "read_at": "2026-05-01T09:30:00+00:00", "meter_serial": "E6S1"}
    co = success_data(
        submit(customer_api, "Carbon Monoxide", {"symptoms": ["nausea", "headache", "nausea"], "appliance": "boiler"}),
        201,
    )
    assert co["attributes"] == {"symptoms": ["nausea", "headache"], "appliance": "boiler"}
    decimal = success_data(submit(customer_api, "Meter Reading", {"reading": 12.5}), 201)
    assert decimal["attributes"] == {"reading": 12.5}


def test_each_wrong_answer_is_named_in_one_400_and_nothing_is_stored(customer_api):
    details = error_details(
        submit(customer_api, "Meter Reading", {"reading": "lots", "read_at": "soon", "colour": "red"}), 400
    )
    answers = details["attributes"]
    assert set(answers) == {"reading", "read_at", "colour"}
    assert answers["reading"] == ["Enter a number, e.g. 4512 or 12.5."]
    assert answers["colour"][0].startswith("Meter Reading does not ask this. Its questions: reading, read_at")
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("type_name", "answers", "code", "message"),
    [
        ("Meter Reading", {}, "reading", "This question must be answered."),
        ("Meter Reading", {"reading": "  "}, "reading", "This question must be answered."),
        ("Meter Reading", {"reading": True}, "reading", "Enter a number."),
        ("Meter Reading", {"reading": "1e999"}, "reading", "Enter a finite number."),
        ("Meter Reading", {"reading": "NaN"}, "reading", "Enter a finite number."),
        ("Meter Reading", {"reading": 1, "read_at": "2026-02-30"}, "read_at", "Enter a date and time"),
        ("Meter Reading", {"reading": 1, "meter_serial": ["a", "b"]}, "meter_serial", "Send the answer as text."),
        ("Meter Reading", {"reading": 1, "meter_serial": "x" * 301}, "meter_serial", "Keep this answer under 300"),
        ("Gas Leak", {"gas_escaping": "perhaps"}, "gas_escaping", "Choose one of: yes, no, unsure."),
        ("Carbon Monoxide", {"symptoms": ["headache", "tired"]}, "symptoms", "tired: not a choice"),
        ("Carbon Monoxide", {"symptoms": {"a": 1}}, "symptoms", "Send a list of choices."),
        ("Other", {"anything": "x"}, "anything", "Other does not ask this. Its questions: none."),
    ],
)
def test_wrong_answers_are_refused_with_their_reason(customer_api, type_name, answers, code, message):
    details = error_details(submit(customer_api, type_name, answers), 400)
    assert details["attributes"][code][0].startswith(message), details


@pytest.mark.parametrize("attributes", ["reading=5", ["reading"], 5])
def test_answers_must_be_an_object(customer_api, attributes):
    details = error_details(submit(customer_api, "Meter Reading", attributes), 400)
    assert "attributes" in details


def test_an_emergency_is_never_refused_for_a_missing_answer(customer_api):
    RequestAttribute.objects.filter(request_type__name="Gas Leak", code="gas_escaping").update(required=True)
    success_data(submit(customer_api, "Gas Leak"), 201)


def test_multipart_takes_the_answers_json_encoded_in_one_field(customer_api):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import MULTIPART_CONTENT

    png = SimpleUploadedFile("meter.png", b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png")
    response = customer_api.post(
        SUBMIT,
        {
            "type_of_request": "Meter Reading",
            "details": "Photo of the meter",
            "attributes": json.dumps({"reading": 4512}),
            "files": [png],
        },
        content_type=MULTIPART_CONTENT,
    )
    assert success_data(response, 201)["attributes"] == {"reading": 4512}
    bad = customer_api.post(
        SUBMIT,
        {"type_of_request": "Meter Reading", "details": "x", "attributes": "{not json"},
        content_type=MULTIPART_CONTENT,
    )
    assert "attributes" in error_details(bad, 400)


def test_the_service_checks_answers_whichever_interface_calls_it(customer):
    with pytest.raises(InvalidAnswers) as refused:
        services.service_request_submit(
            customer=customer, request_type=request_type("Meter Reading"), details="x", attributes={"reading": "x"}
        )
    assert refused.value.errors == {"reading": ["Enter a number, e.g. 4512 or 12.5."]}
    assert not ServiceRequest.objects.exists()


def test_information_that_is_not_a_question_takes_no_answer():
    RequestAttribute.objects.create(
        request_type=request_type("Other"), code="notice", description="We reply in 5 days.", order=1, variable=False
    )
    with pytest.raises(InvalidAnswers) as refused:
        clean_answers(request_type("Other"), {"notice": "ok"})
    assert "not a question" in refused.value.errors["notice"][0]


# --- Staff see the answers ----------------------------------------------------------------------


@pytest.fixture
def answered(customer):
    return services.service_request_submit(
        customer=customer,
        request_type=request_type("Carbon Monoxide"),
        details="Alarm beeping",
        attributes={"alarm_sounding": "yes", "symptoms": ["headache", "dizziness"]},
        address="Flat 2, 9 Kirkgate",
        postcode="LS2 7DJ",
    )


def test_staff_see_the_answers_in_the_api_the_page_and_the_csv(agent_api, agent, answered, customer_api):
    detail = success_data(agent_api.get(f"/api/admin/requests/{answered.pk}/"))
    assert detail["attributes"] == {"alarm_sounding": "yes", "symptoms": ["headache", "dizziness"]}
    assert success_data(customer_api.get(f"/api/track/{answered.pk}/"))["attributes"] == detail["attributes"]

    staff = PageClient()
    staff.login(agent)
    page = staff.page(f"/staff/requests/{answered.pk}/")
    assert "Does anyone have any of these symptoms? Headache, Dizziness" in " ".join(page.text().split())
    assert "Is a carbon-monoxide alarm sounding? Yes" in " ".join(page.text().split())
    queue = staff.page("/staff/")
    assert "Flat 2, 9 Kirkgate" in queue.text() and "LS2 7DJ" in queue.text()

    export = agent_api.get("/api/admin/requests/export/")
    (row,) = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    assert json.loads(row["attributes"]) == detail["attributes"]


# --- The portal ----------------------------------------------------------------------------------


def details_url(name: str) -> str:
    return f"/requests/new/{request_type(name).pk}/"


@pytest.fixture
def customer_page(customer):
    client = PageClient()
    client.login(customer)
    return client


def test_the_second_step_asks_the_types_questions_and_where_starting_from_home(customer_page, customer):
    page = customer_page.page(details_url("Gas Leak"))
    assert page.value("address") == customer.address
    for name in ("attribute_gas_escaping", "attribute_smell_location", "attribute_meter_off", "postcode", "latitude"):
        assert page.doc.find_all(name=name), name
    radios = page.doc.find_all("input", type_="radio", name="attribute_gas_escaping")
    assert [radio.attrs["value"] for radio in radios] == ["yes", "no", "unsure"]
    # The questions come before the description.
    assert page.position(radios[0]) < page.position(page.control("details"))
    assert page.structure_problems() == []


def test_a_customer_submits_answers_and_a_location_from_the_form(customer_page, customer):
    response = customer_page.submit(
        details_url("Carbon Monoxide"),
        {
            "details": "Alarm in the kitchen",
            "attribute_alarm_sounding": "yes",
            "attribute_symptoms": ["headache", "nausea"],
            "address": "Flat 2, 9 Kirkgate",
            "postcode": "LS2 7DJ",
            "latitude": "53.7965",
            "longitude": "-1.5366",
        },
    )
    assert response.status_code == 302
    stored = ServiceRequest.objects.get()
    assert stored.channel == "web"
    assert stored.attributes == {"alarm_sounding": "yes", "symptoms": ["headache", "nausea"]}
    assert (stored.address, stored.postcode, stored.latitude, stored.longitude) == (
        "Flat 2, 9 Kirkgate",
        "LS2 7DJ",
        53.7965,
        -1.5366,
    )
    detail = customer_page.page(response["Location"])
    assert (
        "Does anyone have any of these symptoms?" in detail.text() and "Headache, Nausea or vomiting" in detail.text()
    )


def test_a_wrong_or_missing_answer_is_shown_next_to_its_question(customer_page):
    page = Page(customer_page.post(details_url("Meter Reading"), {"details": "Reading", "attribute_reading": "lots"}))
    assert page.field_errors("attribute_reading") == ["Enter a number, e.g. 4512 or 12.5."]
    missing = Page(customer_page.post(details_url("Meter Reading"), {"details": "Reading"}))
    assert missing.field_errors("attribute_reading") == ["This field is required."]
    half = Page(customer_page.post(details_url("Other"), {"details": "Somewhere", "latitude": "53.1"}))
    assert half.field_errors("longitude") == ["Give both latitude and longitude, or neither."]
    assert not ServiceRequest.objects.exists()


def test_an_empty_address_means_the_customers_own(customer_page, customer):
    customer_page.submit(details_url("Other"), {"details": "Meter noise", "address": ""})
    assert ServiceRequest.objects.get().address == customer.address


# --- Admins define the questions ----------------------------------------------------------------


def inline(prefix: str, index: int, **fields) -> dict:
    return {f"{prefix}-{index}-{name}": value for name, value in fields.items()}


def test_an_admin_adds_a_list_question_with_its_choices_in_the_django_admin(admin_user):
    admin = AdminSiteClient()
    admin.login(admin_user)
    other = request_type("Other")
    url = f"/admin/utility_services/requesttype/{other.pk}/change/"
    form = {
        "name": "Other",
        "code": "other",
        "description": other.description,
        "group": "Other",
        "keywords": "",
        "target_resolution_hours": "120",
        "is_active": "on",
        "sort_order": "90",
        "attributes-TOTAL_FORMS": "1",
        "attributes-INITIAL_FORMS": "0",
        "attributes-MIN_NUM_FORMS": "0",
        "attributes-MAX_NUM_FORMS": "1000",
        **inline(
            "attributes",
            0,
            order="1",
            code="contact_time",
            description="When can we call you?",
            datatype="singlevaluelist",
            required="on",
            variable="on",
            datatype_description="",
            values="morning | Morning\nevening | Evening",
        ),
    }
    response = admin.post_form(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    question = RequestAttribute.objects.get(request_type=other)
    assert question.values == [{"key": "morning", "name": "Morning"}, {"key": "evening", "name": "Evening"}]
    assert question.required


@pytest.mark.parametrize(
    ("datatype", "values", "error"),
    [
        ("singlevaluelist", "", "A list question needs at least one choice."),
        ("string", "a | A", "Only list questions have choices."),
        ("singlevaluelist", "a | A\na | Again", "Each choice needs its own key."),
        ("singlevaluelist", "no separator", "Line 1: write each choice as `key | name`."),
    ],
)
def test_bad_question_definitions_are_refused(admin_user, datatype, values, error):
    admin = AdminSiteClient()
    admin.login(admin_user)
    other = request_type("Other")
    form = {
        "name": "Other",
        "code": "other",
        "target_resolution_hours": "120",
        "is_active": "on",
        "sort_order": "90",
        "attributes-TOTAL_FORMS": "1",
        "attributes-INITIAL_FORMS": "0",
        "attributes-MIN_NUM_FORMS": "0",
        "attributes-MAX_NUM_FORMS": "1000",
        **inline(
            "attributes", 0, order="1", code="q", description="Q?", datatype=datatype, variable="on", values=values
        ),
    }
    response = admin.post_form(f"/admin/utility_services/requesttype/{other.pk}/change/", form)
    assert response.status_code == 200
    assert error in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert not RequestAttribute.objects.filter(request_type=other).exists()


def test_the_database_keeps_codes_and_orders_unique_within_a_type():
    meter = request_type("Meter Reading")
    with pytest.raises(IntegrityError), transaction.atomic():
        RequestAttribute.objects.create(request_type=meter, code="reading", description="Again", order=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        RequestAttribute.objects.create(request_type=meter, code="another", description="Again", order=1)
    with pytest.raises(ValidationError):
        RequestAttribute(request_type=meter, code="has space", description="x", order=8).full_clean()


def test_agents_read_the_questions_but_cannot_change_them(agent):
    admin = AdminSiteClient()
    admin.login(agent)
    page = admin.get(f"/admin/utility_services/requesttype/{request_type('Meter Reading').pk}/change/")
    assert page.status_code == 200
    assert "What does the meter read?" in page.content.decode()
    assert 'name="attributes-0-description"' not in page.content.decode()
