"""The self-service accounts API: register, login, logout, CSRF cookie, own account.

Every call goes through `ApiClient`, i.e. the real session and CSRF cookies.
"""

import re

import pytest

from accounts.models import User
from testing.assertions import PUBLIC_USER_FIELDS, assert_csrf_refused, assert_no_secrets, ok
from testing.assertions import error_details as error
from testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/accounts/api/register/"
LOGIN = "/accounts/api/login/"
LOGOUT = "/accounts/api/logout/"
CSRF = "/accounts/api/csrf/"
ACCOUNT = "/accounts/api/account/"

NEW_PASSWORD = "Blue-Meter-Reading-42"
CUSTOMER_ID = re.compile(r"^GU-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}$")


def registration(**overrides):
    payload = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "name": "New Bie",
        "phone_number": "+44 (20) 7946-0958",
        "address": "1 Gasworks Lane",
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


# --- register -------------------------------------------------------------------------------------------------------


def test_register_creates_a_customer_account(api):
    response = api.post(REGISTER, registration(email="NewBie@Example.COM"))

    data = ok(response, 201)
    assert set(data) == PUBLIC_USER_FIELDS
    assert data["username"] == "newbie"
    assert data["email"] == "newbie@example.com"
    assert data["name"] == "New Bie"
    assert data["phone_number"] == "+442079460958"
    assert data["address"] == "1 Gasworks Lane"
    assert data["role"] == "customer"
    assert data["is_active"] is True
    assert CUSTOMER_ID.match(data["customer_id"])
    user = User.objects.get(pk=data["id"])
    assert user.customer_id == data["customer_id"]
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff and not user.is_superuser
    assert_no_secrets(response, NEW_PASSWORD)


def test_register_then_login_from_the_same_cookie_jar_without_csrf_header(api):
    """The original README's flow: register, log in, then use the token from the cookie."""
    ok(api.post(REGISTER, registration(), csrf=False), 201)
    login = api.post(LOGIN, {"username": "newbie", "password": NEW_PASSWORD}, csrf=False)
    assert ok(login)["user"]["username"] == "newbie"

    assert ok(api.get(ACCOUNT))["username"] == "newbie"
    assert ok(api.patch(ACCOUNT, {"name": "Renamed"}))["name"] == "Renamed"


def test_register_and_login_need_no_csrf_token_even_with_a_session_cookie(customer_api):
    assert customer_api.client.cookies.get("sessionid")

    ok(customer_api.post(REGISTER, registration(), csrf=False), 201)
    data = ok(customer_api.post(LOGIN, {"username": "newbie", "password": NEW_PASSWORD}, csrf=False))
    assert data["user"]["username"] == "newbie"
    assert ok(customer_api.get(ACCOUNT))["username"] == "newbie"


@pytest.mark.parametrize("field", ["username", "email", "password1", "password2", "name", "phone_number", "address"])
def test_register_requires_each_field(api, field):
    details = error(api.post(REGISTER, registration(**{field: None})), 400)
    assert field in details
    assert not User.objects.exists()


def test_register_with_empty_body_names_every_missing_field(api):
    details = error(api.post(REGISTER, {}), 400)
    assert set(details) == {"username", "email", "password1", "password2", "name", "phone_number", "address"}


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password2": "Another-Password-77"}, "password2", "didn't match"),
        ({"password1": "password123", "password2": "password123"}, "password1", "too common"),
        ({"password1": "Sh0rt!", "password2": "Sh0rt!"}, "password1", "too short"),
        ({"password1": "4815162342108", "password2": "4815162342108"}, "password1", "entirely numeric"),
        ({"phone_number": "12345"}, "phone_number", "7 to 15 digits"),
        ({"phone_number": "call me maybe"}, "phone_number", "7 to 15 digits"),
        ({"phone_number": "+1234567890123456"}, "phone_number", "7 to 15 digits"),
        ({"username": "no spaces allowed"}, "username", "valid username"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_register_rejects_invalid_field(api, overrides, field, fragment):
    response = api.post(REGISTER, registration(**overrides))

    details = error(response, 400)
    assert field in details
    assert fragment in " ".join(details[field])
    assert not User.objects.exists()
    # The too-common message quotes the README's example password itself; nothing else may echo one.
    submitted = {NEW_PASSWORD, overrides.get("password1"), overrides.get("password2")} - {None, "password123"}
    assert_no_secrets(response, *submitted)


def test_register_refuses_the_readme_example_password_as_too_common(api):
    """The README's own example payload must fail with a message that explains why."""
    details = error(api.post(REGISTER, registration(password1="password123", password2="password123")), 400)
    assert any("too common" in message for message in details["password1"])


def test_register_rejects_a_username_in_use_in_another_case(api, customer):
    details = error(api.post(REGISTER, registration(username=customer.username.upper())), 400)
    assert "username" in details
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "admin"),
        ("role", "agent"),
        ("is_staff", True),
        ("is_superuser", True),
        ("is_active", False),
        ("customer_id", "GU-AAAA-AAAA"),
        ("password", NEW_PASSWORD),
    ],
)
def test_register_names_a_field_that_cannot_be_set(api, field, value):
    details = error(api.post(REGISTER, registration(**{field: value})), 400)
    assert details[field] == ["This field cannot be set here."]
    assert not User.objects.exists()


def test_register_refuses_a_non_object_body(api):
    error(api.post(REGISTER, ["newbie", NEW_PASSWORD]), 400)


# --- login ----------------------------------------------------------------------------------------------------------


def test_login_starts_a_session_and_returns_the_csrf_token(api, customer):
    response = api.post(LOGIN, {"username": customer.username, "password": PASSWORD})

    data = ok(response)
    assert set(data) == {"user", "csrf_token"}
    assert data["user"]["id"] == customer.pk
    assert data["user"]["customer_id"] == customer.customer_id
    assert data["user"]["role"] == "customer"
    assert data["csrf_token"]
    assert response.cookies["sessionid"].value
    assert response.cookies["csrftoken"].value
    assert_no_secrets(response, PASSWORD)

    # The returned token is a valid X-CSRFToken for the new session.
    patched = api.patch(ACCOUNT, {"name": "Via Token"}, csrf=False, headers={"X-CSRFToken": data["csrf_token"]})
    assert ok(patched)["name"] == "Via Token"


def test_login_rotates_the_csrf_token(api, customer):
    anonymous_token = ok(api.get(CSRF))["csrf_token"]
    cookie_before = api.csrf_token
    assert cookie_before

    api.login(customer)

    assert api.csrf_token != cookie_before
    # A token issued before login no longer authorises unsafe requests.
    response = api.patch(ACCOUNT, {"name": "Stale"}, csrf=False, headers={"X-CSRFToken": anonymous_token})
    assert_csrf_refused(response)
    customer.refresh_from_db()
    assert customer.name != "Stale"


def test_login_issues_a_new_session_key(customer_api, customer, other_customer):
    session_before = customer_api.client.cookies["sessionid"].value
    token_before = customer_api.csrf_token

    customer_api.login(other_customer)

    assert customer_api.client.cookies["sessionid"].value != session_before
    assert customer_api.csrf_token != token_before
    assert ok(customer_api.get(ACCOUNT))["id"] == other_customer.pk


def test_login_ignores_a_planted_session_cookie(api, customer):
    api.client.cookies["sessionid"] = "attacker-chosen-session-key"
    api.login(customer)
    assert api.client.cookies["sessionid"].value != "attacker-chosen-session-key"
    assert ok(api.get(ACCOUNT))["id"] == customer.pk


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "carol", "password": "Wrong-Password-99"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "carol", "password": PASSWORD.lower()},
    ],
)
def test_login_with_bad_credentials_is_401(api, customer, credentials):
    response = api.post(LOGIN, credentials)

    error(response, 401)
    assert response.has_header("WWW-Authenticate")
    assert "sessionid" not in response.cookies
    error(api.get(ACCOUNT), 401)
    assert_no_secrets(response, credentials["password"])


def test_inactive_user_cannot_log_in(api):
    UserFactory(username="sleeper", is_active=False)
    error(api.post(LOGIN, {"username": "sleeper", "password": PASSWORD}), 401)
    error(api.get(ACCOUNT), 401)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "carol"}, "password"),
        ({"username": "carol", "password": PASSWORD, "remember_me": True}, "remember_me"),
        ({"username": "carol", "password": PASSWORD, "role": "admin"}, "role"),
    ],
)
def test_login_rejects_incomplete_or_unknown_fields(api, customer, payload, field):
    details = error(api.post(LOGIN, payload), 400)
    assert field in details
    error(api.get(ACCOUNT), 401)


@pytest.mark.parametrize("path", [REGISTER, LOGIN])
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=BoUnDaRy", "text/plain"]
)
def test_register_and_login_accept_json_only(api, customer, path, content_type):
    body = {
        "application/x-www-form-urlencoded": f"username=carol&password={PASSWORD}",
        "multipart/form-data; boundary=BoUnDaRy": (
            f'--BoUnDaRy\r\nContent-Disposition: form-data; name="username"\r\n\r\ncarol\r\n'
            f'--BoUnDaRy\r\nContent-Disposition: form-data; name="password"\r\n\r\n{PASSWORD}\r\n--BoUnDaRy--\r\n'
        ),
        "text/plain": f'{{"username": "carol", "password": "{PASSWORD}"}}',
    }[content_type]

    response = api.post(path, body, content_type=content_type)

    error(response, 415)
    assert "sessionid" not in response.cookies
    assert User.objects.count() == 1


# --- logout ---------------------------------------------------------------------------------------------------------


def test_logout_ends_the_session(customer_api):
    ok(customer_api.post(LOGOUT))

    error(customer_api.get(ACCOUNT), 401)
    error(customer_api.post(LOGOUT), 401)


def test_logout_does_not_end_other_sessions_of_other_users(customer_api, other_customer_api, other_customer):
    ok(customer_api.post(LOGOUT))
    assert ok(other_customer_api.get(ACCOUNT))["id"] == other_customer.pk


def test_logout_without_csrf_token_is_refused(customer_api, customer):
    assert_csrf_refused(customer_api.post(LOGOUT, csrf=False))
    assert ok(customer_api.get(ACCOUNT))["id"] == customer.pk


def test_anonymous_logout_is_401(api):
    response = api.post(LOGOUT)
    error(response, 401)
    assert response.has_header("WWW-Authenticate")


# --- csrf -----------------------------------------------------------------------------------------------------------


def test_csrf_endpoint_sets_the_cookie_for_anonymous_clients(api):
    assert api.csrf_token is None

    response = api.get(CSRF)

    data = ok(response)
    assert set(data) == {"csrf_token"}
    assert data["csrf_token"]
    assert response.cookies["csrftoken"].value == api.csrf_token


def test_csrf_endpoint_token_works_for_a_logged_in_session(customer_api):
    token = ok(customer_api.get(CSRF))["csrf_token"]
    response = customer_api.patch(ACCOUNT, {"address": "2 Valve Road"}, csrf=False, headers={"X-CSRFToken": token})
    assert ok(response)["address"] == "2 Valve Road"


# --- own account ----------------------------------------------------------------------------------------------------


def test_account_returns_the_callers_profile(customer_api, customer):
    response = customer_api.get(ACCOUNT)

    data = ok(response)
    assert set(data) == PUBLIC_USER_FIELDS
    assert data["id"] == customer.pk
    assert data["username"] == customer.username
    assert data["email"] == customer.email
    assert data["customer_id"] == customer.customer_id
    assert data["role"] == "customer"
    assert data["last_login"] is not None
    assert_no_secrets(response, PASSWORD)


@pytest.mark.parametrize(
    ("client_fixture", "user_fixture", "role"),
    [
        ("customer_api", "customer", "customer"),
        ("other_customer_api", "other_customer", "customer"),
        ("agent_api", "agent", "agent"),
        ("admin_api", "admin_user", "admin"),
    ],
)
def test_account_shows_each_caller_only_their_own_profile(request, client_fixture, user_fixture, role):
    client = request.getfixturevalue(client_fixture)
    user = request.getfixturevalue(user_fixture)
    data = ok(client.get(ACCOUNT))
    assert (data["id"], data["customer_id"], data["role"]) == (user.pk, user.customer_id, role)


@pytest.mark.parametrize(
    ("method", "payload"),
    [("get", None), ("put", {"name": "X"}), ("patch", {"name": "X"})],
)
def test_anonymous_account_access_is_401(api, customer, method, payload):
    api.get(CSRF)  # hold a token, so only the missing session decides
    response = api.request(method, ACCOUNT, payload)
    error(response, 401)
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize("method", ["patch", "put"])
def test_customer_updates_own_contact_details(customer_api, customer, other_customer, method):
    # A new email address needs a confirmation first: accounts/tests/test_email_change.py.
    changes = {"name": "Carol Changed", "phone_number": "020 7946 0000", "address": "9 Regulator Row"}

    response = getattr(customer_api, method)(ACCOUNT, changes)

    data = ok(response)
    assert data["name"] == "Carol Changed"
    assert data["email"] == "carol@example.com"
    assert data["phone_number"] == "02079460000"
    assert data["address"] == "9 Regulator Row"
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.phone_number, customer.address) == (
        "Carol Changed",
        "carol@example.com",
        "02079460000",
        "9 Regulator Row",
    )
    other_customer.refresh_from_db()
    assert other_customer.name == "Dave Other"
    assert_no_secrets(response, PASSWORD)


@pytest.mark.parametrize("method", ["patch", "put"])
def test_account_update_accepts_a_subset_of_fields(customer_api, customer, method):
    before = {"email": customer.email, "phone_number": customer.phone_number, "address": customer.address}

    data = ok(getattr(customer_api, method)(ACCOUNT, {"name": "Only Name"}))

    assert data["name"] == "Only Name"
    customer.refresh_from_db()
    assert {"email": customer.email, "phone_number": customer.phone_number, "address": customer.address} == before


def test_customer_may_keep_own_email_in_another_case(customer_api, customer):
    data = ok(customer_api.patch(ACCOUNT, {"email": customer.email.upper()}))
    assert data["email"] == customer.email


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"phone_number": "12-34"}, "phone_number"),
        ({"phone_number": "+44 twenty"}, "phone_number"),
        ({"name": ""}, "name"),
        ({"name": "x" * 151}, "name"),
    ],
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_account_update_rejects_invalid_values(customer_api, customer, other_customer, method, changes, field):
    before = User.objects.values().get(pk=customer.pk)

    details = error(getattr(customer_api, method)(ACCOUNT, changes), 400)

    assert field in details
    assert User.objects.values().get(pk=customer.pk) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "admin"),
        ("role", "agent"),
        ("is_staff", True),
        ("is_superuser", True),
        ("is_active", False),
        ("username", "carol2"),
        ("customer_id", "GU-AAAA-AAAA"),
        ("password", "New-Password-1234"),
        ("id", 999),
    ],
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_customer_cannot_set_privileged_fields_on_own_account(customer_api, customer, method, field, value):
    before = User.objects.values().get(pk=customer.pk)

    details = error(getattr(customer_api, method)(ACCOUNT, {"name": "Sneaky", field: value}), 400)

    assert details[field] == ["This field cannot be set here."]
    assert User.objects.values().get(pk=customer.pk) == before
    assert ok(customer_api.get(ACCOUNT))["role"] == "customer"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_agent_cannot_promote_themselves_through_own_account(agent_api, agent, method):
    error(getattr(agent_api, method)(ACCOUNT, {"role": "admin"}), 400)
    agent.refresh_from_db()
    assert agent.role == User.Role.AGENT


@pytest.mark.parametrize("method", ["patch", "put"])
def test_account_update_without_csrf_token_is_403(customer_api, customer, method):
    assert_csrf_refused(getattr(customer_api, method)(ACCOUNT, {"name": "No Token"}, csrf=False))
    customer.refresh_from_db()
    assert customer.name == "Carol Customer"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_account_update_with_a_wrong_csrf_token_is_403(customer_api, customer, method):
    response = getattr(customer_api, method)(
        ACCOUNT, {"name": "Bad Token"}, csrf=False, headers={"X-CSRFToken": "x" * 64}
    )
    assert_csrf_refused(response)
    customer.refresh_from_db()
    assert customer.name == "Carol Customer"


def test_account_update_takes_json_only(customer_api, customer):
    error(customer_api.patch(ACCOUNT, "name=Form+Post", content_type="application/x-www-form-urlencoded"), 415)
    customer.refresh_from_db()
    assert customer.name == "Carol Customer"


# --- methods --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_fixture", "method", "path", "allowed"),
    [
        ("api", "get", REGISTER, {"POST"}),
        ("api", "put", REGISTER, {"POST"}),
        ("api", "get", LOGIN, {"POST"}),
        ("api", "delete", LOGIN, {"POST"}),
        ("customer_api", "get", LOGOUT, {"POST"}),
        ("customer_api", "delete", LOGOUT, {"POST"}),
        ("api", "post", CSRF, {"GET"}),
        ("customer_api", "post", CSRF, {"GET"}),
        ("customer_api", "post", ACCOUNT, {"GET", "PUT", "PATCH"}),
        ("customer_api", "delete", ACCOUNT, {"GET", "PUT", "PATCH"}),
    ],
)
def test_wrong_method_is_405(request, client_fixture, method, path, allowed):
    client = request.getfixturevalue(client_fixture)
    client.get(CSRF)  # hold a CSRF token so that only the method is wrong
    response = client.request(method, path, {} if method != "get" else None)

    error(response, 405)
    assert allowed <= {m.strip() for m in response["Allow"].split(",")}


def test_account_delete_leaves_the_account_alone(customer_api, customer):
    error(customer_api.delete(ACCOUNT), 405)
    assert User.objects.filter(pk=customer.pk).exists()
