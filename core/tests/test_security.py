"""Abuse resistance: rate limits, body size limits, security headers (lockout: accounts/tests/test_lockout.py)."""

import json

import pytest

from testing.factories import PASSWORD, UserFactory
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/api/login/"


def test_registration_is_rate_limited_per_address(api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "register": "2/min"}
    statuses = []
    for index in range(3):
        payload = {
            "username": f"newbie{index}",
            "email": f"newbie{index}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "name": "New Bie",
            "phone_number": "+441632960000",
            "address": "1 Gas Street",
        }
        response = api.post("/accounts/api/register/", payload)
        statuses.append(response.status_code)
    assert statuses == [201, 201, 429]
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["error"].lower()


def test_submissions_are_rate_limited_per_customer(customer_api, other_customer_api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "submit": "2/hour"}
    payload = {"type_of_request": "Maintenance", "details": "Meter check"}
    assert [customer_api.post("/api/submit/", payload).status_code for _ in range(3)] == [201, 201, 429]
    assert other_customer_api.post("/api/submit/", payload).status_code == 201


def test_password_reset_requests_are_rate_limited(
    client, customer, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "password_reset": "2/hour"}
    with django_capture_on_commit_callbacks(execute=True):  # reset emails go out once the request commits
        statuses = [client.post("/accounts/password/reset/", {"email": customer.email}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mailoutbox) == 2


def test_oversized_json_body_is_413_and_stores_nothing(customer_api, settings):
    settings.MAX_REQUEST_BYTES = 10_000
    response = customer_api.post("/api/submit/", {"type_of_request": "Maintenance", "details": "x" * 20_000})
    assert response.status_code == 413
    assert set(response.json()) == {"error", "details"}
    assert customer_api.get("/api/track/").json()["pagination"]["count"] == 0


def test_pages_send_a_content_security_policy_and_the_other_headers(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_no_response_ever_contains_a_password_hash(admin_api):
    UserFactory.create_batch(3)
    for path in ("/accounts/api/admin/users/", "/accounts/api/account/"):
        response = admin_api.get(path)
        assert response.status_code == 200, response.content
        text = json.dumps(response.json())
        assert "md5$" not in text and "pbkdf2" not in text and '"password"' not in text


def test_the_register_and_submit_pages_share_the_api_rate_limits(client, customer, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "register": "1/hour", "submit": "1/hour"}
    form = {
        "username": "pagebie",
        "name": "Page Bie",
        "email": "pagebie@example.com",
        "phone_number": "+441632960000",
        "address": "1 Gas Street",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    assert client.post("/accounts/register/", form).status_code == 302
    client.logout()
    response = client.post("/accounts/register/", {**form, "username": "pagebie2", "email": "p2@example.com"})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()

    client.force_login(customer)
    type_id = RequestType.objects.get(name="Maintenance").pk
    assert client.post(f"/requests/new/{type_id}/", {"details": "Meter check"}).status_code == 302
    response = client.post(f"/requests/new/{type_id}/", {"details": "Meter check again"})
    assert response.status_code == 429
    assert ServiceRequest.objects.filter(customer=customer).count() == 1
