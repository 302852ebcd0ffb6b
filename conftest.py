"""Fixtures shared by every test: users of each role and HTTP clients that log in for real.

`ApiClient` goes through the same doors as a Postman user: it logs in with
POST /accounts/api/login/, keeps the session and csrftoken cookies, and sends the
token in X-CSRFToken on unsafe requests. CSRF checks are enforced.
"""

import json

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory


class ApiClient:
    """A JSON client with a cookie jar and the README's session + CSRF flow."""

    def __init__(self):
        self.client = Client(enforce_csrf_checks=True)
        self.user = None

    @property
    def csrf_token(self) -> str | None:
        cookie = self.client.cookies.get("csrftoken")
        return cookie.value if cookie else None

    def login(self, user: User, password: str = PASSWORD):
        response = self.post("/accounts/api/login/", {"username": user.username, "password": password})
        assert response.status_code == 200, response.content
        self.user = user
        return response

    def request(
        self, method: str, path: str, data=None, *, csrf: bool = True, content_type="application/json", **extra
    ):
        headers = dict(extra.pop("headers", {}))
        if csrf and self.csrf_token and method in {"post", "put", "patch", "delete"}:
            headers["X-CSRFToken"] = self.csrf_token
        body = json.dumps(data) if data is not None and content_type == "application/json" else data
        kwargs = {"headers": headers, **extra}
        if method == "get":
            return self.client.get(path, data, **kwargs)
        return getattr(self.client, method)(path, body or "", content_type=content_type, **kwargs)

    def get(self, path, params=None, **kw):
        return self.request("get", path, params, **kw)

    def post(self, path, data=None, **kw):
        return self.request("post", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self.request("put", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self.request("patch", path, data, **kw)

    def delete(self, path, **kw):
        return self.request("delete", path, None, **kw)


@pytest.fixture
def api():
    """An anonymous client."""
    return ApiClient()


@pytest.fixture
def customer(db):
    return UserFactory(username="carol", name="Carol Customer")


@pytest.fixture
def other_customer(db):
    return UserFactory(username="dave", name="Dave Other")


@pytest.fixture
def agent(db):
    return UserFactory(username="agent1", name="Agnes Agent", role=User.Role.AGENT)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin1", name="Adam Admin", role=User.Role.ADMIN)


@pytest.fixture
def engineer(db):
    return UserFactory(username="engineer1", name="Enid Engineer", role=User.Role.ENGINEER)


def _logged_in(user):
    client = ApiClient()
    client.login(user)
    return client


@pytest.fixture
def customer_api(customer):
    return _logged_in(customer)


@pytest.fixture
def other_customer_api(other_customer):
    return _logged_in(other_customer)


@pytest.fixture
def agent_api(agent):
    return _logged_in(agent)


@pytest.fixture
def admin_api(admin_user):
    return _logged_in(admin_user)


@pytest.fixture
def engineer_api(engineer):
    return _logged_in(engineer)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def request_type_catalogue(db):
    """The request types and their questions, as the migrations seed them: again, for transactional
    tests (they start from a flushed database)."""
    from utility_services.tests.factories import seed_request_type_catalogue

    seed_request_type_catalogue()
