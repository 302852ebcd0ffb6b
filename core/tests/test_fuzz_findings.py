"""What the outsider fuzz (scripts/fuzz.py) found, each pinned: the schema tells the truth, and
nothing it allows is refused, nothing it forbids is accepted, no input is a 500."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from accounts.validators import PHONE_NUMBER_INPUT_PATTERN, normalize_phone_number, phone_number_validator
from testing.factories import ServiceRequestFactory
from utility_services import services
from utility_services.models import RequestType

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def schema():
    return json.loads(Client().get("/api/schema/?format=json").content)


def component(schema, name):
    return schema["components"]["schemas"][name]


def test_request_bodies_refuse_fields_they_do_not_name(schema, customer_api):
    assert component(schema, "LoginRequest")["additionalProperties"] is False
    assert (
        customer_api.post("/api/submit/", {"details": "x", "type_of_request": "Other", "extra": 1}).status_code == 400
    )


def test_type_of_request_lists_the_active_catalogue(schema):
    RequestType.objects.filter(name="Other").update(is_active=False)
    schema = json.loads(Client().get("/api/schema/?format=json").content)
    active = list(RequestType.objects.filter(is_active=True).values_list("name", flat=True))
    assert component(schema, "SubmitRequest")["properties"]["type_of_request"]["enum"] == active
    track = next(p for p in schema["paths"]["/api/track/"]["get"]["parameters"] if p["name"] == "type_of_request")
    assert "Other" in track["schema"]["enum"]  # past requests may have a retired type


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [("+44 (20) 7946-0958", True), ("0000000", True), ("0", False), ("+44 twenty", False), ("12-34", False)],
)
def test_the_phone_pattern_in_the_schema_is_what_the_api_accepts(typed, accepted):
    matches = re.match(PHONE_NUMBER_INPUT_PATTERN, typed) is not None
    try:
        phone_number_validator(normalize_phone_number(typed))
        valid = True
    except Exception:
        valid = False
    assert matches == valid == accepted


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type_of_request": "Other", "details": 0}, "details"),
        ({"type_of_request": "Other", "details": "x", "latitude": "1.5", "longitude": 2}, "latitude"),
    ],
)
def test_json_values_of_the_wrong_type_are_refused(customer_api, body, field):
    response = customer_api.post("/api/submit/", body)
    assert response.status_code == 400 and field in response.json()["details"]


def test_a_note_flag_must_be_a_json_boolean(agent_api):
    service_request = ServiceRequestFactory()
    url = f"/api/admin/requests/{service_request.pk}/notes/"
    assert agent_api.post(url, {"body": "x", "is_internal": "true"}).status_code == 400
    assert agent_api.post(url, {"body": "x", "is_internal": True}).status_code == 201


def test_a_phone_number_longer_than_the_schema_allows_is_refused(customer_api):
    # Found by the outsider fuzz: the 32-character limit was checked after the separators were dropped.
    typed = "0000000" + "." * 26
    response = customer_api.patch("/accounts/api/account/", {"phone_number": typed})
    assert response.status_code == 400
    assert response.json()["details"]["phone_number"] == ["Ensure this field has no more than 32 characters."]
    assert customer_api.patch("/accounts/api/account/", {"phone_number": "0113 496 0000"}).status_code == 200


@pytest.mark.parametrize(("flag", "status"), [("0", 400), ("on", 400), ("yes", 400), ("true", 201), ("False", 201)])
def test_a_multipart_flag_is_true_or_false_as_the_schema_says(agent_api, flag, status):
    # Found by the outsider fuzz on an engineer's photo upload: "0" for a boolean was taken.
    service_request = ServiceRequestFactory()
    url = f"/api/admin/requests/{service_request.pk}/attachments/"
    body = {"files": [SimpleUploadedFile("a.pdf", PDF)], "is_internal": flag}
    response = agent_api.post(url, body, content_type=MULTIPART_CONTENT)
    assert response.status_code == status
    if status == 400:
        assert response.json()["details"]["is_internal"] == ["Must be true or false."]


@pytest.mark.parametrize(("page_size", "status"), [("abc", 400), ("0", 400), ("-3", 400), ("500", 200), ("5", 200)])
def test_page_size_is_a_whole_number(customer_api, page_size, status):
    response = customer_api.get("/api/track/", {"page_size": page_size})
    assert response.status_code == status
    if status == 200:
        assert response.json()["pagination"]["page_size"] == min(int(page_size), 100)


@pytest.mark.parametrize(
    ("value", "status"),
    [("2026-01-31T00:00:00Z", 200), ("2026-01-31T00:00:00+01:00", 200), ("", 200), ("2026-01-31", 400), (" 2026", 400)],
)
def test_date_filters_take_rfc_3339_or_nothing(agent_api, value, status):
    assert agent_api.get("/api/admin/requests/", {"submitted_before": value}).status_code == status


def test_empty_filters_mean_no_filter_as_the_schema_says(agent_api, schema):
    for name in ("assignee", "customer", "type_of_request", "overdue"):
        assert agent_api.get("/api/admin/requests/", {name: ""}).status_code == 200, name
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/admin/requests/"]["get"]["parameters"]}
    assert {"type": "string", "maxLength": 0} in parameters["assignee"]["anyOf"]


def test_the_csrf_protocol_is_in_the_security_schemes(schema):
    assert set(schema["components"]["securitySchemes"]) == {"sessionAuth", "csrfCookie", "csrfToken"}
    assert schema["paths"]["/api/submit/"]["post"]["security"] == [
        {"sessionAuth": [], "csrfCookie": [], "csrfToken": []}
    ]
    assert schema["paths"]["/api/track/"]["get"]["security"] == [{"sessionAuth": []}]


def test_uploads_answer_a_list_and_downloads_their_real_content_type(schema, customer, customer_api):
    post = schema["paths"]["/api/track/{request_id}/attachments/"]["post"]
    assert "Paginated" not in json.dumps(post["responses"]["201"])
    assert post["requestBody"]["content"]["multipart/form-data"]["encoding"]["files"]["contentType"]
    get = schema["paths"]["/api/track/{request_id}/attachments/{attachment_id}/"]["get"]
    assert {"image/jpeg", "image/png", "application/pdf"} <= set(get["responses"]["200"]["content"])


def test_a_download_whose_file_is_gone_is_404_not_500(customer, customer_api):
    mine = ServiceRequestFactory(customer=customer)
    (attachment,) = services.service_request_attach(
        acting_user=customer, service_request=mine, files=[SimpleUploadedFile("bill.pdf", PDF)]
    )
    attachment.file.storage.delete(attachment.file.name)
    response = customer_api.get(f"/api/track/{mine.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 404 and set(response.json()) == {"error", "details"}


def test_valid_files_for_a_full_request_are_a_conflict(customer, customer_api, settings):
    settings.ATTACHMENT_MAX_PER_REQUEST = 1
    mine = ServiceRequestFactory(customer=customer)
    url = f"/api/track/{mine.pk}/attachments/"
    first = customer_api.post(url, {"files": [SimpleUploadedFile("a.pdf", PDF)]}, content_type=MULTIPART_CONTENT)
    second = customer_api.post(url, {"files": [SimpleUploadedFile("b.pdf", PDF)]}, content_type=MULTIPART_CONTENT)
    assert (first.status_code, second.status_code) == (201, 409)


def test_a_blank_address_means_the_accounts_address(customer, customer_api):
    response = customer_api.post("/api/submit/", {"type_of_request": "Other", "details": "x", "address": ""})
    assert response.status_code == 201 and response.json()["data"]["address"] == customer.address
