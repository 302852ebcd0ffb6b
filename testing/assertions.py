"""Assertions on the API's envelopes, shared by every app's tests."""

import json

from accounts.models import User

# What the API shows of a user: to the user themself and to admins alike.
PUBLIC_USER_FIELDS = {
    "id",
    "username",
    "email",
    "name",
    "phone_number",
    "address",
    "customer_id",
    "role",
    "is_active",
    "date_joined",
    "last_login",
}


def assert_error_envelope(response, status_code: int) -> dict:
    """Assert `response` is the JSON error envelope with `status_code`; return its body."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"error", "details"}, body
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["details"], dict)
    return body


def error_details(response, status_code: int) -> dict:
    """Assert `response` is the JSON error envelope with `status_code`; return its details."""
    return assert_error_envelope(response, status_code)["details"]


def success_data(response, status_code: int = 200):
    """Assert `response` is the success envelope (lists add `pagination`) with `status_code`; return its data."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) in ({"message", "data"}, {"message", "data", "pagination"}), body
    assert body["message"]
    return body["data"]


def ok(response, status=200):
    """Assert a success envelope with `status`; return its data."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "data"}
    assert isinstance(body["message"], str) and body["message"]
    return body["data"]


def assert_csrf_refused(response) -> None:
    error_details(response, 403)
    assert "CSRF" in response.json()["error"]


def assert_no_secrets(response, *secrets) -> None:
    """Neither a password nor any user's password hash may appear anywhere in a response."""
    content = response.content.decode()
    for secret in secrets:
        assert secret not in content
    for user in User.objects.all():
        assert user.password not in content
        assert user.password.rsplit("$", 1)[-1] not in content
