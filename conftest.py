"""Fixtures shared by every test: users of each role and HTTP clients that log in for real.

`ApiClient` goes through the same doors as a Postman user: it logs in with
POST /accounts/api/login/, keeps the session and csrftoken cookies, and sends the
token in X-CSRFToken on unsafe requests. CSRF checks are enforced.
"""

import pytest

from accounts.models import User
from testing.api_client import ApiClient
from testing.factories import UserFactory
from testing.storage import fresh_storage  # noqa: F401 -- a fixture for every test module


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
    from testing.factories import seed_request_type_catalogue

    seed_request_type_catalogue()
