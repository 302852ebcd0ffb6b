"""Admin user management: /accounts/api/admin/users/..., for admins only."""

import re

import pytest

from accounts.models import User
from testing.assertions import PUBLIC_USER_FIELDS, assert_csrf_refused, assert_no_secrets, ok
from testing.assertions import error_details as error
from testing.factories import PASSWORD, ServiceRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/accounts/api/admin/users/"
CREATE = "/accounts/api/admin/users/create/"
NEW_PASSWORD = "Blue-Meter-Reading-42"
CUSTOMER_ID = re.compile(r"^GU-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}$")


def detail(user) -> str:
    return f"{USERS}{user.pk}/"


def new_user_payload(**overrides):
    payload = {
        "username": "newuser",
        "email": "new@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "name": "New User",
        "phone_number": "+44 7700 900123",
        "address": "123 New St",
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


def page(response):
    """Assert a paginated success envelope; return (data, pagination)."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"message", "data", "pagination"}
    assert set(body["pagination"]) == {
        "count",
        "count_is_exact",
        "page",
        "page_size",
        "total_pages",
        "next",
        "previous",
    }
    return body["data"], body["pagination"]


def snapshot(user):
    return User.objects.values().get(pk=user.pk)


# --- who may call ---------------------------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "list", None),
    ("post", "create", new_user_payload()),
    ("get", "detail", None),
    ("put", "detail", {"name": "Changed"}),
    ("patch", "detail", {"role": "admin"}),
    ("delete", "detail", None),
]


def _path(kind, target):
    return {"list": USERS, "create": CREATE, "detail": detail(target)}[kind]


@pytest.mark.parametrize(("method", "kind", "payload"), ENDPOINTS)
def test_anonymous_gets_401(api, other_customer, method, kind, payload):
    api.get("/accounts/api/csrf/")  # hold a token, so only the missing session decides
    before = snapshot(other_customer)

    response = api.request(method, _path(kind, other_customer), payload)

    error(response, 401)
    assert response.has_header("WWW-Authenticate")
    assert snapshot(other_customer) == before
    assert User.objects.count() == 1


@pytest.mark.parametrize("client_fixture", ["customer_api", "agent_api"])
@pytest.mark.parametrize(("method", "kind", "payload"), ENDPOINTS)
def test_customers_and_agents_get_403(request, other_customer, client_fixture, method, kind, payload):
    client = request.getfixturevalue(client_fixture)
    users_before = User.objects.count()
    before = snapshot(other_customer)

    error(client.request(method, _path(kind, other_customer), payload), 403)

    assert snapshot(other_customer) == before
    assert User.objects.count() == users_before


@pytest.mark.parametrize("role", ["agent", "admin"])
@pytest.mark.parametrize("method", ["put", "patch"])
def test_customer_cannot_promote_themselves_through_admin_endpoints(customer_api, customer, method, role):
    error(customer_api.request(method, detail(customer), {"role": role}), 403)
    error(customer_api.post(CREATE, new_user_payload(role=role)), 403)

    customer.refresh_from_db()
    assert customer.role == User.Role.CUSTOMER
    assert not User.objects.filter(username="newuser").exists()
    assert ok(customer_api.get("/accounts/api/account/"))["role"] == "customer"


def test_agent_cannot_promote_themselves_to_admin(agent_api, agent):
    error(agent_api.patch(detail(agent), {"role": "admin"}), 403)
    agent.refresh_from_db()
    assert agent.role == User.Role.AGENT


@pytest.mark.parametrize(
    ("method", "path_kind", "allowed"),
    [
        ("post", "list", {"GET"}),
        ("delete", "list", {"GET"}),
        ("get", "create", {"POST"}),
        ("put", "create", {"POST"}),
        ("post", "detail", {"GET", "PUT", "PATCH", "DELETE"}),
    ],
)
def test_wrong_method_is_405(admin_api, customer, method, path_kind, allowed):
    before = snapshot(customer)
    response = admin_api.request(method, _path(path_kind, customer), {} if method != "get" else None)

    error(response, 405)
    assert allowed <= {m.strip() for m in response["Allow"].split(",")}
    assert snapshot(customer) == before


@pytest.mark.parametrize(
    ("method", "kind", "payload"), [m for m in ENDPOINTS if m[0] != "get"], ids=["create", "put", "patch", "delete"]
)
def test_unsafe_requests_without_csrf_token_are_403(admin_api, customer, method, kind, payload):
    before = snapshot(customer)
    users_before = User.objects.count()

    assert_csrf_refused(admin_api.request(method, _path(kind, customer), payload, csrf=False))

    assert snapshot(customer) == before
    assert User.objects.count() == users_before


@pytest.mark.parametrize(("method", "kind"), [("post", "create"), ("put", "detail"), ("patch", "detail")])
def test_admin_writes_take_json_only(admin_api, customer, method, kind):
    before = snapshot(customer)
    users_before = User.objects.count()

    response = admin_api.request(
        method,
        _path(kind, customer),
        "username=formuser&name=Form+Post&role=admin",
        content_type="application/x-www-form-urlencoded",
    )

    error(response, 415)
    assert snapshot(customer) == before
    assert User.objects.count() == users_before


# --- list -----------------------------------------------------------------------------------------------------------


def test_admin_lists_users_newest_first(admin_api, admin_user, customer, other_customer, agent):
    response = admin_api.get(USERS)

    data, pagination = page(response)
    assert [row["id"] for row in data] == [agent.pk, other_customer.pk, customer.pk, admin_user.pk]
    assert all(set(row) == PUBLIC_USER_FIELDS for row in data)
    assert {row["role"] for row in data} == {"customer", "agent", "admin"}
    assert pagination == {
        "count": 4,
        "count_is_exact": True,
        "page": 1,
        "page_size": 20,
        "total_pages": 1,
        "next": None,
        "previous": None,
    }
    assert_no_secrets(response, PASSWORD)


def test_user_list_is_paginated_by_20(admin_api, admin_user):
    UserFactory.create_batch(24)

    first, pagination = page(admin_api.get(USERS))
    assert len(first) == 20
    assert pagination["count"] == 25
    assert pagination["total_pages"] == 2
    assert pagination["previous"] is None
    assert "page=2" in pagination["next"]

    second, pagination = page(admin_api.get(USERS, {"page": 2}))
    assert len(second) == 5
    assert pagination["page"] == 2
    assert pagination["next"] is None
    assert pagination["previous"] is not None
    assert not {row["id"] for row in first} & {row["id"] for row in second}
    assert admin_user.pk == second[-1]["id"]


def test_user_list_page_size_is_capped_at_100(admin_api):
    UserFactory.create_batch(104)

    data, pagination = page(admin_api.get(USERS, {"page_size": 7}))
    assert len(data) == 7
    assert pagination["page_size"] == 7
    assert pagination["total_pages"] == 15

    data, pagination = page(admin_api.get(USERS, {"page_size": 1000}))
    assert len(data) == 100
    assert pagination["page_size"] == 100
    assert pagination["count"] == 105


def test_user_list_page_out_of_range_is_404(admin_api):
    error(admin_api.get(USERS, {"page": 9}), 404)


@pytest.fixture
def population(admin_user, customer, agent):
    return {
        "alice": UserFactory(username="alice", name="Alice Fitter", email="alice@north.example"),
        "bob": UserFactory(username="bob", name="Bob Meter", email="bob@south.example", is_active=False),
        "agent2": UserFactory(username="agent2", name="Second Agent", role=User.Role.AGENT),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"role": "agent"}, {"agent1", "agent2"}),
        ({"role": "admin"}, {"admin1"}),
        ({"role": "customer"}, {"carol", "alice", "bob"}),
        ({"is_active": "false"}, {"bob"}),
        ({"search": "fitter"}, {"alice"}),  # name, any case
        ({"search": "SOUTH.EXAMPLE"}, {"bob"}),  # email
        ({"search": "agent"}, {"agent1", "agent2"}),  # username and name
        ({"search": "carol"}, {"carol"}),
        ({"search": "nobody-matches-this"}, set()),
        ({"role": "customer", "is_active": "true"}, {"carol", "alice"}),
    ],
)
def test_user_list_filters_and_searches(admin_api, population, params, expected):
    data, pagination = page(admin_api.get(USERS, params))
    assert {row["username"] for row in data} == expected
    assert pagination["count"] == len(expected)


def test_user_list_searches_by_customer_id(admin_api, population):
    alice = population["alice"]
    for term in (alice.customer_id, alice.customer_id.lower(), alice.customer_id[3:]):
        data, _ = page(admin_api.get(USERS, {"search": term}))
        assert [row["id"] for row in data] == [alice.pk]


@pytest.mark.parametrize(("param", "value"), [("role", "superuser"), ("is_active", "perhaps")])
def test_user_list_rejects_invalid_filter_values(admin_api, param, value):
    details = error(admin_api.get(USERS, {param: value}), 400)
    assert param in details


# --- create ---------------------------------------------------------------------------------------------------------


def test_admin_creates_a_customer_by_default(admin_api, api):
    response = admin_api.post(CREATE, new_user_payload(email="New@Example.COM"))

    data = ok(response, 201)
    assert set(data) == PUBLIC_USER_FIELDS
    assert data["username"] == "newuser"
    assert data["email"] == "new@example.com"
    assert data["phone_number"] == "+447700900123"
    assert data["role"] == "customer"
    assert data["is_active"] is True
    assert CUSTOMER_ID.match(data["customer_id"])
    assert_no_secrets(response, NEW_PASSWORD)
    # The new account works with the password the admin chose.
    login = api.post("/accounts/api/login/", {"username": "newuser", "password": NEW_PASSWORD})
    assert ok(login)["user"]["id"] == data["id"]


@pytest.mark.parametrize("role", ["customer", "agent", "admin"])
def test_admin_creates_a_user_with_a_role(admin_api, role):
    data = ok(admin_api.post(CREATE, new_user_payload(role=role)), 201)
    assert data["role"] == role
    assert User.objects.get(pk=data["id"]).role == role


@pytest.mark.parametrize("field", ["username", "email", "password1", "password2", "name", "phone_number", "address"])
def test_admin_create_requires_each_field(admin_api, field):
    details = error(admin_api.post(CREATE, new_user_payload(**{field: None})), 400)
    assert field in details
    assert not User.objects.filter(username="newuser").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": "CAROL@example.com"}, "email", "already exists"),
        ({"username": "CAROL"}, "username", "already exists"),
        ({"password2": "Another-Password-77"}, "password2", "didn't match"),
        ({"password1": "password123", "password2": "password123"}, "password1", "too common"),
        ({"phone_number": "12345"}, "phone_number", "7 to 15 digits"),
        ({"role": "superuser"}, "role", "not a valid choice"),
        ({"is_staff": True}, "is_staff", "cannot be set here"),
        ({"is_superuser": True}, "is_superuser", "cannot be set here"),
        ({"customer_id": "GU-AAAA-AAAA"}, "customer_id", "cannot be set here"),
        ({"password": NEW_PASSWORD}, "password", "cannot be set here"),
    ],
)
def test_admin_create_rejects_invalid_input(admin_api, customer, overrides, field, fragment):
    users_before = User.objects.count()

    response = admin_api.post(CREATE, new_user_payload(**overrides))

    details = error(response, 400)
    assert fragment in " ".join(details[field])
    assert User.objects.count() == users_before
    assert_no_secrets(response, NEW_PASSWORD, "Another-Password-77")


# --- detail ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target_fixture", ["customer", "agent", "admin_user"])
def test_admin_reads_any_user(request, admin_api, target_fixture):
    target = request.getfixturevalue(target_fixture)
    response = admin_api.get(detail(target))

    data = ok(response)
    assert set(data) == PUBLIC_USER_FIELDS
    assert (data["id"], data["username"], data["customer_id"], data["role"]) == (
        target.pk,
        target.username,
        target.customer_id,
        target.role,
    )
    assert_no_secrets(response, PASSWORD)


@pytest.mark.parametrize(("method", "payload"), [("get", None), ("put", {"name": "X"}), ("delete", None)])
def test_unknown_user_is_404(admin_api, method, payload):
    error(admin_api.request(method, f"{USERS}987654/", payload), 404)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_admin_updates_the_readme_fields(admin_api, customer, method):
    """The README's PUT example sends just a name and an email."""
    response = admin_api.request(method, detail(customer), {"name": "Updated Name", "email": "Updated@Example.com"})

    data = ok(response)
    assert (data["name"], data["email"]) == ("Updated Name", "updated@example.com")
    customer.refresh_from_db()
    assert (customer.name, customer.email) == ("Updated Name", "updated@example.com")
    assert customer.check_password(PASSWORD)
    assert_no_secrets(response, PASSWORD)


def test_admin_updates_every_editable_field(admin_api, customer):
    changes = {
        "username": "carol_renamed",
        "name": "Carol R",
        "email": "carol.r@example.com",
        "phone_number": "(0161) 496-0000",
        "address": "7 Pipeline Close",
    }
    data = ok(admin_api.put(detail(customer), changes))
    assert data["phone_number"] == "01614960000"
    customer.refresh_from_db()
    assert (customer.username, customer.name, customer.email, customer.phone_number, customer.address) == (
        "carol_renamed",
        "Carol R",
        "carol.r@example.com",
        "01614960000",
        "7 Pipeline Close",
    )


def test_admin_makes_another_user_an_agent(admin_api, customer, api):
    data = ok(admin_api.patch(detail(customer), {"role": "agent"}))

    assert data["role"] == "agent"
    customer.refresh_from_db()
    assert customer.role == User.Role.AGENT and customer.is_staff and not customer.is_superuser
    # The promotion takes effect: the new agent works the request queue, but still cannot manage users.
    api.login(customer)
    page(api.get("/api/admin/requests/"))
    error(api.get(USERS), 403)


def test_admin_can_demote_another_admin(admin_api):
    other_admin = UserFactory(role=User.Role.ADMIN)
    assert ok(admin_api.patch(detail(other_admin), {"role": "customer"}))["role"] == "customer"
    other_admin.refresh_from_db()
    assert not other_admin.is_staff


def test_admin_deactivates_a_user_and_their_session_ends(admin_api, customer_api, customer, api):
    data = ok(admin_api.patch(detail(customer), {"is_active": False}))

    assert data["is_active"] is False
    customer.refresh_from_db()
    assert customer.is_active is False
    error(customer_api.get("/accounts/api/account/"), 401)
    error(api.post("/accounts/api/login/", {"username": customer.username, "password": PASSWORD}), 401)


def test_admin_reactivates_a_user(admin_api, api):
    sleeper = UserFactory(is_active=False)
    assert ok(admin_api.patch(detail(sleeper), {"is_active": True}))["is_active"] is True
    api.login(sleeper)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "DAVE@Example.com"}, "email"),  # other_customer's, in another case
        ({"username": "DAVE"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"phone_number": "phone"}, "phone_number"),
        ({"name": ""}, "name"),
        ({"role": "superuser"}, "role"),
        ({"is_active": "maybe"}, "is_active"),
    ],
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_admin_update_rejects_invalid_values(admin_api, customer, other_customer, method, changes, field):
    before = snapshot(customer)

    details = error(admin_api.request(method, detail(customer), changes), 400)

    assert field in details
    assert snapshot(customer) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_id", "GU-AAAA-AAAA"),
        ("password", "New-Password-1234"),
        ("password1", "New-Password-1234"),
        ("is_staff", True),
        ("is_superuser", True),
        ("date_joined", "2000-01-01T00:00:00Z"),
        ("id", 1),
    ],
)
def test_admin_update_names_fields_that_cannot_be_set(admin_api, customer, field, value):
    before = snapshot(customer)

    details = error(admin_api.patch(detail(customer), {"name": "Changed", field: value}), 400)

    assert details[field] == ["This field cannot be set here."]
    assert snapshot(customer) == before


def test_admin_update_with_an_empty_body_changes_nothing(admin_api, customer):
    before = snapshot(customer)
    assert ok(admin_api.patch(detail(customer), {}))["id"] == customer.pk
    assert snapshot(customer) == before


# --- self-protection ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"role": "customer"}, {"role"}),
        ({"role": "agent"}, {"role"}),
        ({"is_active": False}, {"is_active"}),
        ({"role": "agent", "is_active": False}, {"role", "is_active"}),
    ],
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_admin_cannot_demote_or_deactivate_themselves(admin_api, admin_user, method, changes, fields):
    before = snapshot(admin_user)

    details = error(admin_api.request(method, detail(admin_user), changes), 403)

    assert fields <= set(details)
    assert snapshot(admin_user) == before
    page(admin_api.get(USERS))  # still an admin


def test_admin_cannot_change_their_own_email_through_user_management(admin_api, admin_user):
    """Else an admin's session alone could move the account's sign-in email (and its password resets)."""
    before = snapshot(admin_user)
    details = error(admin_api.patch(detail(admin_user), {"email": "elsewhere@example.com"}), 403)
    assert "email" in details and "confirmation" in details["email"][0]
    assert snapshot(admin_user) == before


def test_admin_may_edit_own_contact_details_and_resend_own_role(admin_api, admin_user):
    data = ok(admin_api.put(detail(admin_user), {"name": "Adam Renamed", "role": "admin", "is_active": True}))
    assert (data["name"], data["role"], data["is_active"]) == ("Adam Renamed", "admin", True)


def test_admin_cannot_delete_themselves(admin_api, admin_user):
    error(admin_api.delete(detail(admin_user)), 403)
    assert User.objects.filter(pk=admin_user.pk, role=User.Role.ADMIN, is_active=True).exists()
    page(admin_api.get(USERS))


# --- delete ---------------------------------------------------------------------------------------------------------


def test_admin_deletes_a_user_without_requests(admin_api, customer):
    ok(admin_api.delete(detail(customer)))

    assert not User.objects.filter(pk=customer.pk).exists()
    error(admin_api.get(detail(customer)), 404)


def test_admin_cannot_delete_a_user_with_requests(admin_api, customer):
    ServiceRequestFactory(customer=customer)

    response = admin_api.delete(detail(customer))

    details = error(response, 409)
    assert "is_active" in response.json()["error"]
    assert details["service_requests"] == 1
    assert User.objects.filter(pk=customer.pk).exists()
    assert customer.service_requests.count() == 1
    # The suggested way out works.
    assert ok(admin_api.put(detail(customer), {"is_active": False}))["is_active"] is False
    error(admin_api.delete(detail(customer)), 409)


def test_admin_deletes_another_admin_without_requests(admin_api):
    other_admin = UserFactory(role=User.Role.ADMIN)
    ok(admin_api.delete(detail(other_admin)))
    assert not User.objects.filter(pk=other_admin.pk).exists()
