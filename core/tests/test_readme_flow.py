"""The original README's flow, end to end over real HTTP, as a Postman user or a curl script drives it."""

import json
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest

from accounts.models import User
from testing.factories import PASSWORD, UserFactory, seed_request_type_catalogue

STRONG_PASSWORD = "Blue-Kettle-Harbour-42"


class HttpUser:
    """One person's cookie jar against the live server; sends X-CSRFToken only when told to."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def call(self, method: str, path: str, payload=None, *, csrf: bool = False) -> tuple[int, dict]:
        headers = {"Accept": "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if csrf:
            headers["X-CSRFToken"] = self.cookie("csrftoken")
        url = self.base_url + path  # always the live server's http:// URL
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                status, content_type, body = response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as error:
            status, content_type, body = error.code, error.headers["Content-Type"], error.read()
        assert content_type == "application/json", (status, content_type, body[:300])
        return status, json.loads(body)


def assert_success(status: int, body: dict, expected_status: int = 200) -> dict:
    assert status == expected_status, body
    assert {"message", "data"} <= set(body), body
    return body["data"]


@pytest.fixture
def request_type_catalogue(transactional_db):
    """Seed the catalogue as its data migration does: an earlier transactional test may have flushed it.

    (`serialized_rollback` cannot restore it after such a flush: the content types that flush
    recreates collide with the serialized copy.)
    """
    seed_request_type_catalogue()


def test_readme_flow_over_real_http(live_server, request_type_catalogue):
    customer = HttpUser(live_server.url)
    registration = {
        "username": "testuser",
        "email": "test@example.com",
        "password1": "password123",
        "password2": "password123",
        "name": "Test User",
        "phone_number": "1234567890",
        "address": "123 Test St",
    }

    # The README's literal example password is refused, and the answer says why.
    status, body = customer.call("POST", "/accounts/api/register/", registration)
    assert status == 400, body
    assert "too common" in " ".join(body["details"]["password1"])
    assert "too common" in body["error"]

    registration |= {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}
    account = assert_success(*customer.call("POST", "/accounts/api/register/", registration), 201)
    assert account["username"] == "testuser"
    assert account["role"] == "customer"
    assert account["customer_id"].startswith("GU-")
    assert "password" not in json.dumps(account)

    # Same cookie jar, no CSRF header, as the README's flow does it.
    login = {"username": "testuser", "password": STRONG_PASSWORD}
    logged_in = assert_success(*customer.call("POST", "/accounts/api/login/", login))
    assert customer.cookie("sessionid")
    csrf_token = customer.cookie("csrftoken")
    assert csrf_token
    assert logged_in["csrf_token"]

    me = assert_success(*customer.call("GET", "/accounts/api/account/"))
    assert me["customer_id"] == account["customer_id"]
    assert me["email"] == "test@example.com"

    submitted = assert_success(
        *customer.call(
            "POST",
            "/api/submit/",
            {"type_of_request": "New Connection", "details": "Need new gas connection"},
            csrf=True,
        ),
        201,
    )
    assert submitted["status"] == "Pending"
    assert submitted["type_of_request"] == "New Connection"
    assert submitted["resolved_at"] is None

    status, body = customer.call("GET", "/api/track/")
    tracked = assert_success(status, body)
    assert [r["id"] for r in tracked] == [submitted["id"]]
    assert body["pagination"]["count"] == 1

    # A staff member works the request from another browser.
    admin = UserFactory(username="boss", role=User.Role.ADMIN)
    staff = HttpUser(live_server.url)
    assert_success(*staff.call("POST", "/accounts/api/login/", {"username": admin.username, "password": PASSWORD}))

    users = assert_success(*staff.call("GET", "/accounts/api/admin/users/"))
    assert {"testuser", "boss"} <= {u["username"] for u in users}

    requests_ = assert_success(*staff.call("GET", "/api/admin/requests/"))
    listed = next(r for r in requests_ if r["id"] == submitted["id"])
    assert listed["customer"]["customer_id"] == account["customer_id"]

    detail_url = f"/api/admin/requests/{submitted['id']}/"
    in_progress = assert_success(*staff.call("PUT", detail_url, {"status": "In Progress"}, csrf=True))
    assert in_progress["status"] == "In Progress"
    resolved = assert_success(
        *staff.call("PUT", detail_url, {"status": "Resolved", "resolution_details": "Connection installed"}, csrf=True)
    )
    assert resolved["status"] == "Resolved"

    seen = assert_success(*customer.call("GET", f"/api/track/{submitted['id']}/"))
    assert seen["status"] == "Resolved"
    assert seen["resolved_at"]
    assert seen["resolution_details"] == "Connection installed"

    # An unsafe request without the header is refused, in the envelope.
    status, body = customer.call("POST", "/api/submit/", {"type_of_request": "Maintenance", "details": "x"})
    assert status == 403, body
    assert set(body) == {"error", "details"}
    assert "CSRF" in body["error"]

    assert_success(*customer.call("POST", "/accounts/api/logout/", csrf=True))
    status, body = customer.call("GET", "/accounts/api/account/")
    assert status == 401, body
    assert set(body) == {"error", "details"}
