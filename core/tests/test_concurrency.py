"""Integrity under concurrency: ETag / If-Match, Idempotency-Key, and real concurrent HTTP requests.

The last group runs against pytest-django's live server with several threads sending at the
same moment, so the row locks (MariaDB) and IMMEDIATE transactions (SQLite) are what is tested.
"""

import itertools
import json
import re
import sqlite3
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.utils import timezone

from accounts.models import User
from core.concurrency import version_of
from core.models import IdempotencyKey
from testing.admin_client import AdminSiteClient
from testing.factories import PASSWORD, ServiceRequestFactory, UserFactory, seed_request_type_catalogue
from utility_services import workflow
from utility_services.models import RequestEvent, ServiceRequest

ETAG = re.compile(r'^"(?P<pk>[0-9]+)-(?P<version>[0-9]+)"$')


def counts() -> tuple[int, int, int]:
    return ServiceRequest.objects.count(), RequestEvent.objects.count(), User.objects.count()


# --- ETag / If-Match --------------------------------------------------------------------------


@pytest.fixture
def service_request(db, customer):
    return ServiceRequestFactory(customer=customer, details="Boiler pressure drops overnight")


# endpoint: (client fixture, url, field to change, how to read the stored value)
ENDPOINTS = {
    "account": ("customer_api", lambda c, sr: "/accounts/api/account/", "name", lambda c, sr: _user(c).name),
    "admin-user": (
        "admin_api",
        lambda c, sr: f"/accounts/api/admin/users/{c.pk}/",
        "name",
        lambda c, sr: _user(c).name,
    ),
    "admin-request": (
        "agent_api",
        lambda c, sr: f"/api/admin/requests/{sr.pk}/",
        "details",
        lambda c, sr: ServiceRequest.objects.get(pk=sr.pk).details,
    ),
}


def _user(user) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture(params=[(name, method) for name in ENDPOINTS for method in ("put", "patch")], ids="-".join)
def endpoint(request, customer, service_request):
    name, method = request.param
    client_name, url, field, stored = ENDPOINTS[name]
    client = request.getfixturevalue(client_name)

    class Endpoint:
        def get(self):
            return client.get(url(customer, service_request))

        def write(self, value, if_match=None):
            headers = {"If-Match": if_match} if if_match is not None else {}
            return getattr(client, method)(url(customer, service_request), {field: value}, headers=headers)

        def stored(self):
            return stored(customer, service_request)

        def other_record(self):
            """A different record of the same kind as this endpoint's."""
            return ServiceRequestFactory() if name == "admin-request" else UserFactory()

    return Endpoint()


def micros(moment) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def etag(response) -> str:
    assert response.status_code == 200, response.content
    assert ETAG.match(response["ETag"]), response["ETag"]
    return response["ETag"]


def test_track_detail_sends_an_etag_that_changes_when_staff_change_the_request(
    customer_api, agent_api, service_request
):
    url = f"/api/track/{service_request.pk}/"
    first = etag(customer_api.get(url))
    assert first == f'"{service_request.pk}-{micros(service_request.updated_at)}"'
    assert etag(customer_api.get(url)) == first
    assert agent_api.patch(f"/api/admin/requests/{service_request.pk}/", {"status": "On Hold"}).status_code == 200
    assert etag(customer_api.get(url)) != first


def test_a_current_if_match_applies_and_returns_the_new_etag(endpoint):
    before = etag(endpoint.get())
    response = endpoint.write("Changed with the right version", if_match=before)
    assert response.status_code == 200, response.content
    assert endpoint.stored() == "Changed with the right version"
    assert response["ETag"] != before
    assert response["ETag"] == etag(endpoint.get())


def test_a_stale_if_match_is_412_with_the_current_etag_and_changes_nothing(endpoint):
    stale = etag(endpoint.get())
    assert endpoint.write("First writer").status_code == 200
    current = etag(endpoint.get())

    response = endpoint.write("Second writer, stale", if_match=stale)

    assert response.status_code == 412, response.content
    assert set(response.json()) == {"error", "details"}
    assert response.json()["details"]["current_etag"] == current
    assert endpoint.stored() == "First writer"
    assert etag(endpoint.get()) == current


@pytest.mark.parametrize("header", ['"999999-1"', "garbage", '"1-"', "other-record"])
def test_an_if_match_naming_another_record_or_garbage_is_412(endpoint, header):
    if header == "other-record":  # this record's current version, but another record's id
        header = f'"{endpoint.other_record().pk}-{ETAG.match(etag(endpoint.get()))["version"]}"'
    before = endpoint.stored()
    response = endpoint.write("Should not be stored", if_match=header)
    assert response.status_code == 412, response.content
    assert endpoint.stored() == before


@pytest.mark.parametrize("header", ["*", None])
def test_star_or_no_if_match_applies(endpoint, header):
    endpoint.write("Someone else first")  # whatever version the client read is now old
    response = endpoint.write("Unconditional", if_match=header)
    assert response.status_code == 200, response.content
    assert endpoint.stored() == "Unconditional"


# --- Idempotency-Key ----------------------------------------------------------------------------


def _new_user(suffix: str) -> dict:
    return {
        "username": f"new{suffix}",
        "email": f"new{suffix}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "name": "New Person",
        "phone_number": "+441632960002",
        "address": "2 Gas Street",
    }


# create endpoint: (client fixture, second user's client fixture, url, body, another valid body, invalid body)
CREATES = {
    "submit": (
        "customer_api",
        "other_customer_api",
        lambda sr: "/api/submit/",
        {"type_of_request": "Maintenance", "details": "Meter check"},
        {"type_of_request": "Maintenance", "details": "Another meter check"},
        {"type_of_request": "Maintenance", "details": ""},
    ),
    "comment": (
        "customer_api",
        None,
        lambda sr: f"/api/track/{sr.pk}/comments/",
        {"body": "The gauge reads 0.5 bar"},
        {"body": "Now 0.4 bar"},
        {"body": ""},
    ),
    "note": (
        "agent_api",
        "admin_api",
        lambda sr: f"/api/admin/requests/{sr.pk}/notes/",
        {"body": "Called the customer"},
        {"body": "Called again"},
        {"body": ""},
    ),
    "user-create": (
        "admin_api",
        None,
        lambda sr: "/accounts/api/admin/users/create/",
        _new_user("a"),
        _new_user("b"),
        {**_new_user("a"), "password2": "mismatch"},
    ),
}


class Create:
    def __init__(self, client, url, body, other_body, invalid):
        self.client, self.url, self.body, self.other_body, self.invalid = client, url, body, other_body, invalid

    def post(self, data=None, key="retry-1"):
        return self.client.post(self.url, data or self.body, headers={"Idempotency-Key": key})


@pytest.fixture(params=list(CREATES))
def create(request, service_request):
    client_name, _other, url, body, other_body, invalid = CREATES[request.param]
    return Create(request.getfixturevalue(client_name), url(service_request), body, other_body, invalid)


def test_a_retry_with_the_same_key_replays_the_first_response_and_stores_nothing(create):
    first = create.post()
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    stored = counts()

    retry = create.post()

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert counts() == stored


def test_the_same_key_with_a_different_body_is_422(create):
    assert create.post().status_code == 201
    stored = counts()
    response = create.post(create.other_body)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"error", "details"}
    assert counts() == stored


def test_a_failed_request_is_not_kept_so_a_corrected_retry_succeeds(create):
    stored = counts()
    assert create.post(create.invalid).status_code == 400
    assert counts() == stored
    response = create.post()
    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response


def test_without_a_key_every_post_creates(customer_api):
    payload = {"type_of_request": "Maintenance", "details": "Meter check"}
    assert [customer_api.post("/api/submit/", payload).status_code for _ in range(2)] == [201, 201]
    assert ServiceRequest.objects.count() == 2


@pytest.mark.parametrize("name", [name for name, spec in CREATES.items() if spec[1]])
def test_different_users_may_use_the_same_key(request, service_request, name):
    first_client, second_client, url, body, _other, _invalid = CREATES[name]
    responses = [
        request.getfixturevalue(fixture).post(url(service_request), body, headers={"Idempotency-Key": "shared"})
        for fixture in (first_client, second_client)
    ]
    assert [r.status_code for r in responses] == [201, 201]
    assert "Idempotent-Replayed" not in responses[1]
    assert responses[0].json()["data"]["id"] != responses[1].json()["data"]["id"]


def test_a_key_longer_than_255_characters_is_400(customer_api):
    payload = {"type_of_request": "Maintenance", "details": "Meter check"}
    response = customer_api.post("/api/submit/", payload, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 400, response.content
    assert ServiceRequest.objects.count() == 0 and IdempotencyKey.objects.count() == 0
    assert customer_api.post("/api/submit/", payload, headers={"Idempotency-Key": "k" * 255}).status_code == 201


# --- Real concurrent requests over HTTP ---------------------------------------------------------

THREADS = 6


class HttpClient:
    """One person's session against the live server: own cookie jar, X-CSRFToken on writes."""

    def __init__(self, base_url: str, user: User):
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        status, _, body = self.call("POST", "/accounts/api/login/", {"username": user.username, "password": PASSWORD})
        assert status == 200, body

    def call(self, method: str, path: str, payload=None, headers=None) -> tuple[int, dict, dict]:
        headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token:
            headers["X-CSRFToken"] = token
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as response:
                status, response_headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, body = error.code, error.headers, error.read()
        return status, dict(response_headers), json.loads(body)


def at_once(calls) -> list[tuple[int, dict, dict]]:
    """Run the calls in threads released together by a barrier; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


class _ConnectionPerRequest:
    """Stands in for the live server's connection overrides: each request thread opens its own connection."""

    def __init__(self, settings_dict: dict):
        self.settings_dict = settings_dict

    def __bool__(self):
        return True

    def items(self):
        backend = load_backend(self.settings_dict["ENGINE"])
        return [("default", backend.DatabaseWrapper(self.settings_dict, "default"))]


@pytest.fixture
def serve(live_server, transactional_db, tmp_path):
    """Seed the catalogue, then `serve()` returns the live server's URL once the test's data is in place.

    pytest-django hands an in-memory SQLite database's single connection to every server thread,
    so concurrent requests would share one transaction and no lock would ever be taken. There the
    database (users and requests included) is copied to a file served with a connection per request,
    as in production; the test then checks the outcome over HTTP.
    """
    # An earlier transactional test may have flushed the seeded catalogue.
    seed_request_type_catalogue()
    connection = connections["default"]
    httpd = live_server.thread.httpd
    shared = httpd.connections_override

    def start() -> str:
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            path = str(tmp_path / "concurrency.sqlite3")
            connection.ensure_connection()
            with sqlite3.connect(path) as copy:
                connection.connection.backup(copy)
            copy.close()
            httpd.connections_override = _ConnectionPerRequest({**connection.settings_dict, "NAME": path})
        return live_server.url

    yield start
    httpd.connections_override = shared


def test_two_agents_with_the_same_if_match_one_wins_and_one_gets_412(serve, customer):
    service_request = ServiceRequestFactory(customer=customer, details="Original")
    agents = [UserFactory(role=User.Role.AGENT) for _ in range(2)]
    url = f"/api/admin/requests/{service_request.pk}/"
    base = serve()
    clients = [HttpClient(base, agent) for agent in agents]
    _, headers, _ = clients[0].call("GET", url)
    read_etag = headers["ETag"]

    results = at_once(
        [
            lambda c=client, n=index: c.call("PATCH", url, {"details": f"Agent {n}"}, {"If-Match": read_etag})
            for index, client in enumerate(clients)
        ]
    )

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200, 412], results
    winner = next(body for status, _, body in results if status == 200)
    _, _, stored = clients[0].call("GET", url)
    assert stored["data"]["details"] == winner["data"]["details"]
    updates = [e for e in stored["data"]["timeline"] if e["kind"] == "updated" and e["field"] == "details"]
    assert [(e["old_value"], e["new_value"]) for e in updates] == [("Original", winner["data"]["details"])]


def test_concurrent_cancels_of_one_request_succeed_exactly_once(serve, customer, admin_user):
    service_request = ServiceRequestFactory(customer=customer)
    base = serve()
    clients = [HttpClient(base, customer) for _ in range(THREADS)]
    url = f"/api/track/{service_request.pk}/cancel/"

    results = at_once([lambda c=client: c.call("POST", url, {"reason": "Fixed it myself"}) for client in clients])

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] + [409] * (THREADS - 1), results
    _, _, stored = HttpClient(base, admin_user).call("GET", f"/api/admin/requests/{service_request.pk}/")
    assert stored["data"]["status"] == "Cancelled"
    assert [e["kind"] for e in stored["data"]["timeline"]].count("cancelled") == 1


def test_concurrent_submissions_with_one_idempotency_key_store_one_request(serve, customer):
    base = serve()
    clients = [HttpClient(base, customer) for _ in range(THREADS)]
    payload = {"type_of_request": "Maintenance", "details": "Smell of gas near the meter"}
    headers = {"Idempotency-Key": "submit-once"}

    results = at_once([lambda c=client: c.call("POST", "/api/submit/", payload, headers) for client in clients])

    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {201, 409} and 201 in statuses, results
    created = {body["data"]["id"] for status, _, body in results if status == 201}
    assert len(created) == 1, results
    _, _, mine = clients[0].call("GET", "/api/track/")
    assert mine["pagination"]["count"] == 1
    assert [item["id"] for item in mine["data"]] == list(created)


@pytest.mark.parametrize("targets", [["In Progress"] * THREADS, ["In Progress", "On Hold"] * (THREADS // 2)])
def test_concurrent_status_changes_apply_one_after_the_other(serve, customer, targets):
    service_request = ServiceRequestFactory(customer=customer)
    agents = [UserFactory(role=User.Role.AGENT) for _ in targets]
    base = serve()
    clients = [HttpClient(base, agent) for agent in agents]
    url = f"/api/admin/requests/{service_request.pk}/"

    results = at_once(
        [
            lambda c=client, s=target: c.call("PATCH", url, {"status": s})
            for client, target in zip(clients, targets, strict=True)
        ]
    )

    assert all(status == 200 for status, _, _ in results), results
    _, _, stored = clients[0].call("GET", url)
    changes = [(e["old_value"], e["new_value"]) for e in stored["data"]["timeline"] if e["kind"] == "status_changed"]
    # Each change starts from the status the previous one left: none is lost, skipped or applied twice.
    assert changes and changes[0][0] == "Pending", changes
    for (_, previous), (old, new) in itertools.pairwise(changes):
        assert old == previous and workflow.can_transition(old, new), changes
    assert stored["data"]["status"] == changes[-1][1]
    if set(targets) == {"In Progress"}:
        assert changes == [("Pending", "In Progress")]
    assert len(changes) <= len(targets)


# --- moved from test_hardening.py (rules found in review) ---------------------------------------


@pytest.mark.django_db
def test_a_stale_staff_page_form_is_refused(agent, client):
    request = ServiceRequestFactory()
    seen = version_of(request)
    # Another agent's change in the meantime.
    ServiceRequest.objects.filter(pk=request.pk).update(priority=4, updated_at=timezone.now() + timedelta(seconds=1))
    client.force_login(agent)
    response = client.post(
        f"/staff/requests/{request.pk}/",
        {"action": "update", "update-status": "In Progress", "update-priority": 2, "update-version": seen},
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    request.refresh_from_db()
    assert (request.status, request.priority) == ("Pending", 4)


@pytest.mark.django_db
def test_a_stale_django_admin_form_is_refused(agent):
    request = ServiceRequestFactory()
    seen = version_of(request)
    ServiceRequest.objects.filter(pk=request.pk).update(priority=4, updated_at=timezone.now() + timedelta(seconds=1))
    site = AdminSiteClient()
    site.login(agent)
    form = {
        "request_type": request.request_type_id,
        "status": "In Progress",
        "priority": 2,
        "assignee": "",
        "details": request.details,
        "resolution_details": "",
        "version": seen,
        "attachments-TOTAL_FORMS": 0,
        "attachments-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
    }
    response = site.post_form(f"/admin/utility_services/servicerequest/{request.pk}/change/", form)
    assert response.status_code == 200
    assert "Someone else changed this request" in response.content.decode()
    request.refresh_from_db()
    assert (request.status, request.priority) == ("Pending", 4)
