"""Every failure under the API prefixes is the JSON error envelope, whatever raised it and whatever DEBUG is."""

import logging

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError
from django.urls import path
from rest_framework.exceptions import Throttled

from gas_utility.urls import urlpatterns as project_urlpatterns
from testing.assertions import assert_error_envelope
from testing.factories import ServiceRequestFactory

SECRET = "secret table xyz"


def plain_django_view_that_fails(request):
    raise RuntimeError(f"boom in {SECRET}")


# Used by the tests marked `urls(__name__)`: the project's URLs plus a plain (non-DRF) Django
# view under /api/, whose failure never reaches DRF's exception handler.
urlpatterns = [path("api/test-only-boom/", plain_django_view_that_fails), *project_urlpatterns]


def assert_nothing_leaked(response) -> None:
    text = response.content.decode()
    assert SECRET not in text
    assert "Traceback" not in text
    assert 'File "' not in text
    assert "<html" not in text.lower()


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/no-such-endpoint/"),
        ("post", "/api/no-such-endpoint/"),
        ("get", "/accounts/api/no-such-endpoint/"),
        ("delete", "/accounts/api/no-such-endpoint/"),
        ("get", "/api/track/not-a-number/"),
        ("get", "/accounts/api/admin/users/not-a-number/"),
    ],
)
def test_unknown_api_url_is_json_404(api, debug, method, url):
    response = api.request(method, url, {"x": 1} if method != "get" else None)

    body = assert_error_envelope(response, 404)
    assert body["error"] == "Not found."


@pytest.mark.parametrize(
    "url",
    ["/api/track/999999/", "/api/admin/requests/999999/", "/accounts/api/admin/users/999999/"],
)
def test_unknown_resource_is_json_404(admin_api, debug, url):
    assert_error_envelope(admin_api.get(url), 404)


def test_another_customers_request_is_json_404(customer_api, other_customer, debug):
    theirs = ServiceRequestFactory(customer=other_customer)

    assert_error_envelope(customer_api.get(f"/api/track/{theirs.pk}/"), 404)


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/submit/"),
        ("delete", "/api/track/"),
        ("post", "/accounts/api/account/"),
        ("get", "/accounts/api/login/"),
        ("post", "/api/admin/requests/"),
    ],
)
def test_wrong_method_is_json_405_with_allow_header(admin_api, debug, method, url):
    response = admin_api.request(method, url, {} if method != "get" else None)

    body = assert_error_envelope(response, 405)
    assert method.upper() in body["error"]
    assert response["Allow"]
    assert method.upper() not in response["Allow"]


@pytest.mark.parametrize(
    "url, user_fixture",
    [
        ("/api/submit/", "customer_api"),
        ("/accounts/api/register/", "api"),
        ("/accounts/api/login/", "api"),
        ("/accounts/api/login/", "customer_api"),
    ],
)
def test_form_encoded_body_is_json_415(db, request, debug, url, user_fixture):
    client = request.getfixturevalue(user_fixture)

    response = client.post(url, "username=x&password=y", content_type="application/x-www-form-urlencoded")

    body = assert_error_envelope(response, 415)
    assert "application/x-www-form-urlencoded" in body["error"]


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/accounts/api/account/"),
        ("get", "/api/track/"),
        ("post", "/api/submit/"),
        ("get", "/api/admin/requests/"),
        ("get", "/accounts/api/admin/users/"),
        ("post", "/accounts/api/logout/"),
    ],
)
def test_anonymous_is_json_401_with_challenge(api, debug, method, url):
    response = api.request(method, url, {} if method != "get" else None)

    assert_error_envelope(response, 401)
    assert response["WWW-Authenticate"]


def test_wrong_credentials_are_json_401(api, customer, debug):
    response = api.post("/accounts/api/login/", {"username": customer.username, "password": "wrong-password"})

    body = assert_error_envelope(response, 401)
    assert body["error"] == "Invalid username or password."


@pytest.mark.parametrize(
    "client_fixture, url",
    [
        ("customer_api", "/api/admin/requests/"),
        ("customer_api", "/accounts/api/admin/users/"),
        ("agent_api", "/accounts/api/admin/users/"),
    ],
)
def test_wrong_role_is_json_403(db, request, debug, client_fixture, url):
    client = request.getfixturevalue(client_fixture)

    body = assert_error_envelope(client.get(url), 403)
    assert "only" in body["error"]


@pytest.mark.parametrize(
    "method, url, data",
    [
        ("post", "/api/submit/", {"type_of_request": "Maintenance", "details": "Boiler check"}),
        ("patch", "/accounts/api/account/", {"name": "New Name"}),
        ("post", "/accounts/api/logout/", None),
    ],
)
def test_missing_csrf_token_is_json_403(customer_api, debug, method, url, data):
    response = customer_api.request(method, url, data, csrf=False)

    body = assert_error_envelope(response, 403)
    assert "CSRF" in body["error"]


def test_wrong_csrf_token_is_json_403(customer_api, debug):
    response = customer_api.post(
        "/api/submit/",
        {"type_of_request": "Maintenance", "details": "Boiler check"},
        csrf=False,
        headers={"X-CSRFToken": "x" * 64},
    )

    body = assert_error_envelope(response, 403)
    assert "CSRF" in body["error"]


def test_invalid_input_is_json_400_with_per_field_lists(customer_api, debug):
    response = customer_api.post("/api/submit/", {"type_of_request": "Teleportation", "status": "Resolved"})

    body = assert_error_envelope(response, 400)
    assert set(body["details"]) == {"type_of_request", "details", "status"}
    assert all(isinstance(messages, list) and messages for messages in body["details"].values())
    assert body["details"]["status"] == ["This field cannot be set here."]


def test_malformed_json_is_json_400(customer_api, debug):
    # Straight through Django's client: ApiClient would JSON-encode the broken string.
    response = customer_api.client.post(
        "/api/submit/",
        '{"details": ',
        content_type="application/json",
        headers={"X-CSRFToken": customer_api.csrf_token},
    )

    body = assert_error_envelope(response, 400)
    assert "JSON" in body["error"]


@pytest.mark.parametrize("case", ["delete-user-with-requests", "forbidden-transition"])
def test_conflict_is_json_409(admin_api, customer, debug, case):
    service_request = ServiceRequestFactory(customer=customer)
    if case == "delete-user-with-requests":
        response = admin_api.delete(f"/accounts/api/admin/users/{customer.pk}/")
        body = assert_error_envelope(response, 409)
        assert "is_active" in body["error"]
    else:
        assert admin_api.put(f"/api/admin/requests/{service_request.pk}/", {"status": "Cancelled"}).status_code == 200
        response = admin_api.put(f"/api/admin/requests/{service_request.pk}/", {"status": "Pending"})
        body = assert_error_envelope(response, 409)
        assert body["details"]["allowed_transitions"] == []


@pytest.mark.parametrize(
    "exception",
    [
        RuntimeError(f"unexpected failure in {SECRET}"),
        IntegrityError(f"(1062, \"Duplicate entry 'x' for key '{SECRET}'\")"),
        DatabaseError(f"(1146, \"Table '{SECRET}' doesn't exist\")"),
    ],
    ids=lambda exception: type(exception).__name__,
)
def test_unexpected_exception_in_api_view_is_json_500_without_internals(
    customer_api, monkeypatch, caplog, debug, exception
):
    def explode(**kwargs):
        raise exception

    monkeypatch.setattr("utility_services.services.service_request_submit", explode)
    customer_api.client.raise_request_exception = False

    with caplog.at_level(logging.ERROR):
        response = customer_api.post("/api/submit/", {"type_of_request": "Maintenance", "details": "Boiler check"})

    body = assert_error_envelope(response, 500)
    assert body["details"] == {}
    assert_nothing_leaked(response)
    # The failure is not swallowed: it is logged with its traceback for the operators.
    assert any(record.exc_info and record.exc_info[1] is exception for record in caplog.records)


@pytest.mark.urls(__name__)
def test_unexpected_exception_outside_drf_is_json_500_without_internals(customer_api, debug):
    customer_api.client.raise_request_exception = False

    response = customer_api.get("/api/test-only-boom/")

    assert_error_envelope(response, 500)
    assert_nothing_leaked(response)


def test_database_outage_is_json_503_with_retry_after(customer_api, monkeypatch, debug):
    def explode(**kwargs):
        raise OperationalError(f"(2003, \"Can't connect to MySQL server on '{SECRET}'\")")

    monkeypatch.setattr("utility_services.services.service_request_submit", explode)
    customer_api.client.raise_request_exception = False

    response = customer_api.post("/api/submit/", {"type_of_request": "Maintenance", "details": "Boiler check"})

    assert_error_envelope(response, 503)
    assert int(response["Retry-After"]) > 0
    assert_nothing_leaked(response)


def test_throttled_request_is_json_429_with_retry_after(customer_api, monkeypatch, debug):
    def throttled(**kwargs):
        raise Throttled(wait=42)

    monkeypatch.setattr("utility_services.services.service_request_submit", throttled)

    response = customer_api.post("/api/submit/", {"type_of_request": "Maintenance", "details": "Boiler check"})

    body = assert_error_envelope(response, 429)
    assert response["Retry-After"] == "42"
    assert "throttled" in body["error"].lower()
