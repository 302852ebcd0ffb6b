"""Rules found in review: no 500s from extreme filters, search edge cases, emergencies on
reclassification, no customer data to former agents, stale staff forms refused."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.api.concurrency import version_of
from core.models import IdempotencyKey
from testing.admin_client import AdminSiteClient
from testing.factories import ServiceRequestFactory
from testing.marks import search_db
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db
QUEUE = "/api/admin/requests/"


@pytest.mark.parametrize(
    "params",
    [
        {"assignee": "9" * 25},
        {"customer": "9" * 25},
        {"submitted_after": "9999-12-31T23:59:59-05:00"},
        {"submitted_before": "0001-01-01T00:00:00+05:00"},
    ],
)
@pytest.mark.parametrize("path", [QUEUE, "/api/admin/stats/", "/api/admin/requests/export/"])
def test_extreme_filter_values_are_400_not_500(agent_api, params, path):
    response = agent_api.get(path, params)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"error", "details"}


def test_extreme_filter_values_on_the_staff_page_show_an_error(agent, client):
    client.force_login(agent)
    response = client.get("/staff/", {"assignee": "9" * 25, "submitted_after": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()


@search_db
@pytest.mark.parametrize(("dense_matches", "cost"), [(5000, 0), (0, 8)], ids=["full-text-plan", "row-by-row-plan"])
@pytest.mark.parametrize("query", ["boil boiler", "leak leak", "BOILER boil"])
def test_repeated_or_prefix_words_still_find_the_request(agent_api, settings, query, dense_matches, cost):
    settings.SEARCH_DENSE_MATCHES, settings.SEARCH_FULLTEXT_COST = dense_matches, cost
    request = ServiceRequestFactory(details="Boiler leak in the hall")
    assert [item["id"] for item in agent_api.get(QUEUE, {"search": query}).json()["data"]] == [request.pk]


@pytest.mark.parametrize("query", ["x", "Дмитрий", "!!"])
def test_a_query_without_a_searchable_word_matches_nothing(agent_api, query):
    ServiceRequestFactory()
    assert agent_api.get(QUEUE, {"search": query}).json()["data"] == []


def test_reclassifying_as_an_emergency_alerts_on_call(
    agent_api, settings, caplog, django_capture_on_commit_callbacks, mailoutbox
):
    settings.EMERGENCY_ONCALL_EMAIL = ["oncall@gas.example"]
    request = ServiceRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.patch(f"{QUEUE}{request.pk}/", {"type_of_request": "Gas Leak"})
    assert response.status_code == 200
    assert response.json()["data"]["priority"] == "Emergency"
    assert any(record.levelname == "WARNING" and request.reference in record.getMessage() for record in caplog.records)
    assert [message.to for message in mailoutbox] == [["oncall@gas.example"]]


def test_a_deactivated_agent_gets_no_customer_email(
    customer_api, customer, agent, admin_api, django_capture_on_commit_callbacks, mailoutbox
):
    request = ServiceRequestFactory(customer=customer, assignee=agent)
    assert admin_api.patch(f"/accounts/api/admin/users/{agent.pk}/", {"is_active": False}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_api.post(f"/api/track/{request.pk}/comments/", {"body": "My phone is 07700 900123"})
    assert response.status_code == 201
    assert mailoutbox == []


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


def test_an_abandoned_idempotency_claim_is_run_again(customer_api, customer):
    """A first attempt whose worker died left its claim unanswered: a retry runs."""
    payload = {"type_of_request": "Maintenance", "details": "Meter check"}
    body = json.dumps(payload).encode()
    fingerprint = hashlib.sha256(b"POST\0/api/submit/\0application/json\0" + body).hexdigest()
    # A committed claim without an answer: left by a request that died before the claim moved
    # into the request's own transaction. Nothing of its work was kept, so the retry runs.
    IdempotencyKey.objects.create(user=customer, key="retry-1", fingerprint=fingerprint)

    response = customer_api.post("/api/submit/", payload, headers={"Idempotency-Key": "retry-1"})

    assert response.status_code == 201, response.content
    assert ServiceRequest.objects.filter(customer=customer).count() == 1
    assert IdempotencyKey.objects.get(user=customer, key="retry-1").status_code == 201


def test_services_refuse_callers_without_the_role(customer, agent):
    from accounts import services as accounts_services
    from core.exceptions import Forbidden
    from utility_services import services

    request = ServiceRequestFactory()
    with pytest.raises(Forbidden):
        services.service_request_update(acting_user=customer, service_request=request, priority=3)
    with pytest.raises(Forbidden):
        services.service_request_delete(acting_user=agent, service_request=request)
    with pytest.raises(Forbidden):
        accounts_services.user_update(acting_user=agent, user=customer, role=get_user_model().Role.ADMIN)
    assert RequestType.objects.exists() and ServiceRequest.objects.filter(pk=request.pk, priority=2).exists()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(client, url, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"files": [SimpleUploadedFile("engineer.png", PNG, "image/png")], **fields}
    return client.client.post(url, data, headers={"X-CSRFToken": client.csrf_token})


def test_an_internal_staff_attachment_never_reaches_the_customer(agent_api, customer_api, customer):
    request = ServiceRequestFactory(customer=customer)
    response = _upload(agent_api, f"{QUEUE}{request.pk}/attachments/", is_internal="true")
    assert response.status_code == 201, response.content
    attachment = response.json()["data"][0]
    assert attachment["is_internal"] is True

    detail = customer_api.get(f"/api/track/{request.pk}/").json()["data"]
    assert detail["attachments"] == []
    assert all(event["kind"] != "attachment" for event in detail["timeline"])
    download = customer_api.get(f"/api/track/{request.pk}/attachments/{attachment['id']}/")
    assert download.status_code == 404
    staff_detail = agent_api.get(f"{QUEUE}{request.pk}/").json()["data"]
    assert [item["id"] for item in staff_detail["attachments"]] == [attachment["id"]]


def test_a_customer_cannot_mark_an_attachment_internal(customer_api, customer):
    request = ServiceRequestFactory(customer=customer)
    response = _upload(customer_api, f"/api/track/{request.pk}/attachments/", is_internal="true")
    assert response.status_code == 400
    assert "is_internal" in response.json()["details"]
