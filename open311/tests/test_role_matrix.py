"""Who may call each Open311 route: generated from the URL configuration, so a new route needs a row.

Open311 ignores sessions: being logged in as a customer, an agent or an admin changes nothing.
Writing needs a valid api_key; reading needs none. Every route is called as each role, with
no key, a valid key and a revoked key, and must answer exactly the expected status.
"""

import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from open311 import services as open311_services
from testing.factories import UserFactory
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

PREFIX = "open311/"
ROLES = ("anonymous", "customer", "agent", "admin")
KEYS = ("no_key", "valid_key", "revoked_key")
READ = (200, 200, 200)
WRITE = (403, 200, 403)
POST_REQUEST = {"service_code": "maintenance", "address_string": "9 Kirkgate", "description": "Matrix"}
POST_UPDATE = {"update_id": "matrix", "status": "UNCHANGED", "updated_datetime": "2026-05-01T10:00:00Z"}

# (route name, method): (body or query, expected status for (no key, valid key, revoked key)), whatever the role.
MATRIX = {
    ("open311-discovery", "get"): ({}, READ),
    ("open311-services", "get"): ({}, READ),
    ("open311-service-definition", "get"): ({}, READ),
    ("open311-requests", "get"): ({}, READ),
    ("open311-requests", "post"): (POST_REQUEST, WRITE),
    ("open311-requests", "delete"): ({}, (405, 405, 405)),
    ("open311-request", "get"): ({}, READ),
    ("open311-token", "get"): ({}, READ),
    ("open311-updates", "get"): ({}, READ),
    ("open311-updates", "post"): (POST_UPDATE | {"description": "Matrix update"}, WRITE),
    ("open311-openapi", "get"): ({}, READ),
    ("open311-not-found", "get"): ({}, (404, 404, 404)),
}


def open311_routes() -> dict[str, str]:
    """Every route under open311/: {name: path template}."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    return {name or path: path for path, name in walk(get_resolver().url_patterns) if path.startswith(PREFIX)}


def test_every_open311_route_has_a_row():
    routes = set(open311_routes())
    rows = {name for name, _ in MATRIX}
    assert len(routes) >= 9, routes  # guard the generator: an empty list would make this vacuous
    assert not routes - rows, f"routes with no row: {sorted(routes - rows)}"
    assert not rows - routes, f"rows for routes that no longer exist: {sorted(rows - routes)}"


@pytest.fixture
def world(admin_user):
    application, key = open311_services.application_issue(acting_user=admin_user, name="Matrix app")
    revoked, revoked_key = open311_services.application_issue(acting_user=admin_user, name="Revoked app")
    open311_services.application_revoke(acting_user=admin_user, application=revoked)
    record = open311_services.open311_request_submit(
        application=application, request_type=RequestType.objects.get(code="maintenance"), address_string="1 Road"
    )
    return {
        "keys": {"no_key": None, "valid_key": key, "revoked_key": revoked_key},
        "service_code": "maintenance",
        "service_request_id": record.service_request.reference,
        "token": record.token,
        "fmt": "json",
        "path": "nothing.json",
    }


def url_of(name: str, world: dict) -> str:
    template = open311_routes()[name]
    if template.startswith("open311/v2/^"):  # the catch-all regex
        return "/open311/v2/nothing.json"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(world[match[1]]), template)


def client_for(role: str) -> Client:
    client = Client(enforce_csrf_checks=True)  # no CSRF token is sent: Open311 must not need one
    if role != "anonymous":
        client.force_login(UserFactory(role=role))
    return client


@pytest.mark.parametrize("key_state", KEYS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(MATRIX))
def test_role_matrix(world, name, method, role, key_state):
    body, expected = MATRIX[(name, method)]
    data = dict(body)
    if name == "open311-updates" and method == "post":
        data["service_request_id"] = world["service_request_id"]
    key = world["keys"][key_state]
    if key is not None:
        data["api_key"] = key
    client = client_for(role)
    before = ServiceRequest.objects.count()
    if method == "get":
        response = client.get(url_of(name, world), data)
    elif method == "post":
        response = client.post(url_of(name, world), data)
    else:
        response = getattr(client, method)(url_of(name, world))
    assert response.status_code == expected[KEYS.index(key_state)], response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    created = ServiceRequest.objects.count() - before
    assert created == (1 if (name, method, response.status_code) == ("open311-requests", "post", 200) else 0)
