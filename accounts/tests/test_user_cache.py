"""Each request's user from the shared cache (accounts/backends.py): one SQL statement fewer, no stale user.

Real commits (the cache is dropped when a change commits), the real session + CSRF flow, and the
cache switched on as with Redis (USER_CACHE_SECONDS > 0).
"""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from testing.api_client import ApiClient
from testing.factories import PASSWORD, UserFactory
from testing.marks import COMMITTED_DB

pytestmark = COMMITTED_DB
ACCOUNT = "/accounts/api/account/"
QUEUE = "/api/admin/requests/"


@pytest.fixture(autouse=True)
def _user_cache_on(settings):
    settings.USER_CACHE_SECONDS = 60


def logged_in(user) -> ApiClient:
    client = ApiClient()
    client.login(user)
    return client


def user_reads(client, path) -> tuple[int, int]:
    """(status, SELECTs of the users table) of one GET."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    table = User._meta.db_table
    return response.status_code, sum(table in q["sql"] and q["sql"].startswith("SELECT") for q in queries)


def test_the_user_is_read_once_then_served_from_the_cache():
    client = logged_in(UserFactory())

    assert user_reads(client, ACCOUNT) == (200, 1)
    assert user_reads(client, ACCOUNT) == (200, 0)


def test_without_a_shared_cache_the_user_is_read_every_time(settings):
    settings.USER_CACHE_SECONDS = 0
    client = logged_in(UserFactory())

    assert user_reads(client, ACCOUNT) == (200, 1)
    assert user_reads(client, ACCOUNT) == (200, 1)


def test_a_deactivated_user_is_refused_on_the_next_request():
    customer = UserFactory()
    admin = logged_in(UserFactory(role=User.Role.ADMIN))
    client = logged_in(customer)
    assert user_reads(client, ACCOUNT) == (200, 1)

    assert admin.patch(f"/accounts/api/admin/users/{customer.pk}/", {"is_active": False}).status_code == 200

    assert client.get(ACCOUNT).status_code == 401


def test_a_demoted_admin_loses_the_staff_queue_on_the_next_request():
    demoted = UserFactory(role=User.Role.ADMIN)
    admin = logged_in(UserFactory(role=User.Role.ADMIN))
    client = logged_in(demoted)
    assert user_reads(client, QUEUE)[0] == 200

    assert admin.patch(f"/accounts/api/admin/users/{demoted.pk}/", {"role": "customer"}).status_code == 200

    assert client.get(QUEUE).status_code == 403
    assert client.get(ACCOUNT).json()["data"]["role"] == "customer"


def test_a_new_password_ends_the_other_sessions_at_once():
    user = UserFactory()
    phone, laptop = logged_in(user), logged_in(user)
    assert user_reads(laptop, ACCOUNT) == (200, 1)
    assert user_reads(laptop, ACCOUNT) == (200, 0)

    new = "Fresh-Gas-Meter-42"
    form = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    phone.get("/accounts/password/change/")  # the page, as a browser opens it (and its csrftoken)
    response = phone.client.post("/accounts/password/change/", {**form, "csrfmiddlewaretoken": phone.csrf_token})
    assert response.status_code == 302, response.content

    assert laptop.get(ACCOUNT).status_code == 401
    assert phone.get(ACCOUNT).status_code == 200


def test_a_row_read_just_before_a_change_committed_is_not_served_after_it(monkeypatch):
    """The race: a request reads the user, the deactivation commits, then the request stores the old row."""
    customer = UserFactory()
    client = logged_in(customer)
    read_from_database = ModelBackend.get_user

    def read_then_deactivated_elsewhere(backend, user_id):
        row = read_from_database(backend, user_id)
        other = User.objects.get(pk=user_id)
        other.is_active = False
        other.save(update_fields=["is_active"])  # commits (autocommit) and drops the cache entry
        return row  # the old, active row: stored after the drop

    monkeypatch.setattr(ModelBackend, "get_user", read_then_deactivated_elsewhere)
    assert client.get(ACCOUNT).status_code == 200  # the request in flight is served its old row
    monkeypatch.undo()

    assert client.get(ACCOUNT).status_code == 401


def test_a_deleted_user_is_refused_on_the_next_request():
    user = UserFactory()
    client = logged_in(user)
    assert user_reads(client, ACCOUNT) == (200, 1)
    assert user_reads(client, ACCOUNT) == (200, 0)

    User.objects.get(pk=user.pk).delete()

    assert client.get(ACCOUNT).status_code == 401


def test_when_the_cache_fails_the_user_is_read_from_the_database(monkeypatch):
    client = logged_in(UserFactory())
    assert user_reads(client, ACCOUNT) == (200, 1)

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get_many", down)

    assert user_reads(client, ACCOUNT) == (200, 1)
