"""Function-level authorization: the role matrix of every API route, generated from the URL configuration.

Every route under api/ and accounts/api/ must have a row in MATRIX (the coverage test fails
otherwise), so a new endpoint cannot be added without deciding who may call it.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import URLResolver, get_resolver

from accounts.models import PriorityServicesRegistration, User, UserAuditEvent
from core.models import IdempotencyKey
from emergencies import services as emergency_services
from emergencies.models import Emergency, EmergencyEvent
from testing.api_client import ApiClient
from testing.factories import ServiceRequestFactory, UserFactory, make_dispatcher, make_engineer, report
from utility_services import services
from utility_services.models import Attachment, ExportJob, RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db

API_PREFIXES = ("api/", "accounts/api/")
NOT_API = ("api/schema/", "api/docs/")  # the OpenAPI document and its viewer: public by design
ROLES = ("anonymous", "customer", "other_customer", "agent", "admin", "engineer")
CLIENTS = dict(
    zip(ROLES, ("api", "customer_api", "other_customer_api", "agent_api", "admin_api", "engineer_api"), strict=True)
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
UPLOAD = "upload"  # marks a multipart body with one PDF
STAFF = (401, 403, 403)  # anonymous, customer, other customer
ENGINEERS_ONLY = (401, 403, 403, 403, 403)  # everyone but the engineer dispatched

# route name: (main method, body, expected status for
# (anonymous, customer = owner, other customer, agent, admin, engineer = the one dispatched))
# Engineers are not staff: every staff route is a 403 for them, and every customer's request a 404.
MATRIX = {
    "api-register": ("post", {}, (400, 400, 400, 400, 400, 400)),
    "api-login": ("post", {}, (400, 400, 400, 400, 400, 400)),
    "api-logout": ("post", None, (401, 200, 200, 200, 200, 200)),
    "api-csrf": ("get", None, (200, 200, 200, 200, 200, 200)),
    "api-account": ("get", None, (401, 200, 200, 200, 200, 200)),
    "api-account-priority-services": ("get", None, (401, 200, 200, 200, 200, 200)),
    "api-admin-users": ("get", None, (*STAFF, 403, 200, 403)),
    "api-admin-user-create": ("post", {}, (*STAFF, 403, 400, 403)),
    "api-admin-user-detail": ("get", None, (*STAFF, 403, 200, 403)),
    "api-admin-user-priority-services": ("get", None, (*STAFF, 200, 200, 403)),
    "api-request-types": ("get", None, (200, 200, 200, 200, 200, 200)),
    "api-submit": ("post", {}, (401, 400, 400, 400, 400, 400)),
    "api-track": ("get", None, (401, 200, 200, 200, 200, 200)),
    "api-track-detail": ("get", None, (401, 200, 404, 404, 404, 404)),
    "api-track-cancel": ("post", {}, (401, 200, 404, 404, 404, 404)),
    "api-track-reopen": ("post", {}, (401, 409, 404, 404, 404, 404)),
    "api-track-comments": ("post", {"body": "More detail"}, (401, 201, 404, 404, 404, 404)),
    "api-track-attachments": ("post", UPLOAD, (401, 201, 404, 404, 404, 404)),
    "api-track-attachment": ("get", None, (401, 200, 404, 404, 404, 404)),
    "api-admin-requests": ("get", None, (*STAFF, 200, 200, 403)),
    "api-admin-requests-export": ("get", None, (*STAFF, 200, 200, 403)),
    "api-admin-stats": ("get", None, (*STAFF, 200, 200, 403)),
    "api-admin-exports": ("get", None, (*STAFF, 200, 200, 403)),
    # The world's export belongs to another agent: an agent sees only their own, admins every one.
    "api-admin-export-detail": ("get", None, (*STAFF, 404, 200, 403)),
    "api-admin-export-download": ("get", None, (*STAFF, 404, 200, 403)),
    "api-admin-request-detail": ("get", None, (*STAFF, 200, 200, 403)),
    "api-admin-request-notes": ("post", {"body": "Checked"}, (*STAFF, 201, 201, 403)),
    "api-admin-request-attachments": ("post", UPLOAD, (*STAFF, 201, 201, 403)),
    "api-admin-request-attachment": ("get", None, (*STAFF, 200, 200, 403)),
    # Emergencies. A report with an empty body: a customer's account supplies the phone and
    # address (201); anyone else must give them (400).
    "api-emergency-report": ("post", {}, (400, 201, 201, 400, 400, 400)),
    "api-admin-emergencies": ("get", None, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-detail": ("get", None, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-dispatch": ("post", {}, (*STAFF, 400, 400, 403)),
    "api-admin-emergency-classification": ("post", {}, (*STAFF, 400, 400, 403)),
    "api-admin-emergency-steps": ("post", {}, (*STAFF, 400, 400, 403)),
    "api-admin-emergency-records": ("post", {"kind": "note", "body": "Called back"}, (*STAFF, 201, 201, 403)),
    "api-admin-emergency-incidents": ("post", {}, (*STAFF, 400, 400, 403)),
    "api-admin-emergency-regulator": ("post", {"regulator": "HSE"}, (*STAFF, 201, 201, 403)),
    "api-admin-emergency-corrections": ("post", {}, (*STAFF, 400, 400, 403)),
    "api-admin-emergency-reviews": ("post", {"comment": "Checked"}, (*STAFF, 403, 201, 403)),
    "api-admin-emergency-photos": ("post", UPLOAD, (*STAFF, 201, 201, 403)),
    "api-admin-emergency-miss-reasons": ("post", {}, (*STAFF, 400, 400, 403)),
    # Emergency reports (GET with the period as query parameters), JSON and CSV.
    "api-admin-emergency-report-standard-of-service": ("get", {"month": "2024-03"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-standard-of-service-csv": ("get", {"year": "2024"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-standard-of-service-misses-csv": ("get", {"year": "2024"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-daily-log": ("get", {"date": "2024-03-31"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-daily-log-csv": ("get", {"date": "2024-03-31"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-monthly-summary": ("get", {"month": "2024-03"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-monthly-summary-csv": ("get", {"month": "2024-03"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-review-and-make-safe": ("get", {"date": "2024-03-31"}, (*STAFF, 200, 200, 403)),
    "api-admin-emergency-report-review-and-make-safe-csv": ("get", {"month": "2024-03"}, (*STAFF, 200, 200, 403)),
    "api-engineer-emergencies": ("get", None, (*ENGINEERS_ONLY, 200)),
    "api-engineer-emergency-detail": ("get", None, (*ENGINEERS_ONLY, 200)),
    "api-engineer-emergency-steps": ("post", {"step": "en_route"}, (*ENGINEERS_ONLY, 201)),
    "api-engineer-emergency-records": ("post", {"kind": "note", "body": "Gate locked"}, (*ENGINEERS_ONLY, 201)),
    "api-engineer-emergency-incidents": ("post", {}, (*ENGINEERS_ONLY, 400)),
    "api-engineer-emergency-photos": ("post", UPLOAD, (*ENGINEERS_ONLY, 201)),
}


def api_routes() -> dict[str, str]:
    """Every API route in the URL configuration: {name (or path if unnamed): path template}."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    return {
        name or path: path
        for path, name in walk(get_resolver().url_patterns)
        if path.startswith(API_PREFIXES) and not path.startswith(NOT_API)
    }


def test_every_api_route_has_a_row_in_the_matrix():
    routes = set(api_routes())
    assert not routes - set(MATRIX), f"routes with no authorization row: {sorted(routes - set(MATRIX))}"
    assert not set(MATRIX) - routes, f"rows for routes that no longer exist: {sorted(set(MATRIX) - routes)}"


@pytest.fixture
def world(customer, other_customer, engineer, django_capture_on_commit_callbacks):
    service_request = ServiceRequestFactory(customer=customer)
    (attachment,) = services.service_request_attach(
        acting_user=customer, service_request=service_request, files=[SimpleUploadedFile("bill.pdf", PDF)]
    )
    emergency = report()
    emergency_services.emergency_dispatch(acting_user=make_dispatcher(), emergency=emergency, engineer=engineer)
    with django_capture_on_commit_callbacks(execute=True):  # the export is built (eagerly) on commit
        export = services.export_job_start(acting_user=UserFactory(role=User.Role.AGENT), query="")
    return {
        "request_id": service_request.pk,
        "attachment_id": attachment.pk,
        "user_id": other_customer.pk,
        "emergency_id": emergency.pk,
        "export_id": export.pk,
    }


def url_of(name: str, world: dict) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(world[match[1]]), api_routes()[name])
    return "/" + path


def call(client, method: str, url: str, body):
    if body == UPLOAD:
        return client.request(
            method, url, {"files": [SimpleUploadedFile("meter.pdf", PDF)]}, content_type=MULTIPART_CONTENT
        )
    return client.request(method, url, body)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_matrix(request, world, name, role):
    method, body, expected = MATRIX[name]
    client = request.getfixturevalue(CLIENTS[role])
    response = call(client, method, url_of(name, world), body)
    assert response.status_code == expected[ROLES.index(role)], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "details"}


STAFF_ROUTES = sorted(
    name for name, path in api_routes().items() if path.startswith(("api/admin/", "accounts/api/admin/"))
)


def snapshot() -> dict:
    models = (
        ServiceRequest,
        RequestEvent,
        Attachment,
        User,
        UserAuditEvent,
        IdempotencyKey,
        Emergency,
        EmergencyEvent,
        PriorityServicesRegistration,
        ExportJob,
    )
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


@pytest.mark.parametrize(("role", "expected"), [("anonymous", 401), ("customer", 403), ("engineer", 403)])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("name", STAFF_ROUTES)
def test_unsafe_methods_on_staff_routes_are_refused_and_change_nothing(request, world, name, method, role, expected):
    client = request.getfixturevalue(CLIENTS[role])
    before = snapshot()
    hostile = {"status": "Cancelled", "role": "admin", "is_active": False, "body": "x", "details": "Hijacked"}
    response = call(client, method, url_of(name, world), None if method == "delete" else hostile)
    assert response.status_code == expected, response.content[:300]
    assert set(response.json()) == {"error", "details"}
    assert snapshot() == before


def test_the_staff_routes_were_found():
    """Guard the generator itself: an empty list would make the test above vacuous."""
    assert len(STAFF_ROUTES) >= 9 and "api-admin-request-detail" in STAFF_ROUTES


ENGINEER_ROUTES = sorted(name for name, path in api_routes().items() if path.startswith("api/engineer/"))


@pytest.mark.parametrize(("role", "expected"), [("anonymous", 401), ("customer", 403), ("agent", 403)])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("name", ENGINEER_ROUTES)
def test_unsafe_methods_on_engineer_routes_are_refused_and_change_nothing(request, world, name, method, role, expected):
    client = request.getfixturevalue(CLIENTS[role])
    before = snapshot()
    hostile = {"step": "cleared", "kind": "note", "body": "x", "engineer": 1, "injury": True}
    response = call(client, method, url_of(name, world), None if method == "delete" else hostile)
    assert response.status_code == expected, response.content[:300]
    assert set(response.json()) == {"error", "details"}
    assert snapshot() == before


def test_another_engineer_gets_a_404_for_an_emergency_not_dispatched_to_them(world):
    client = ApiClient()
    client.login(make_engineer())
    for name in ENGINEER_ROUTES:
        if "<" not in api_routes()[name]:
            continue
        method, body, _expected = MATRIX[name]
        response = call(client, method, url_of(name, world), body)
        assert response.status_code == 404, (name, response.content[:300])
