"""Submission in fewer statements: one transaction, the timeline in one INSERT, the response from what was written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from testing.factories import ServiceRequestFactory
from utility_services import services
from utility_services.models import RequestType, ServiceRequest

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(255, -1, -1)) + b"IEND\xaeB`\x82"


def _taken_then_fresh(monkeypatch, taken: str) -> list[str]:
    drawn = [taken, "SR-FRSH-0001"]
    monkeypatch.setattr(services, "generate_reference", lambda: drawn.pop(0))
    return drawn


@pytest.mark.django_db
def test_a_taken_reference_is_drawn_again_inside_a_callers_transaction(monkeypatch, customer):
    existing = ServiceRequestFactory()
    _taken_then_fresh(monkeypatch, existing.reference)

    created = services.service_request_submit(
        customer=customer, request_type=RequestType.objects.get(name="Maintenance"), details="Meter noise"
    )

    assert created.reference == "SR-FRSH-0001"
    assert ServiceRequest.objects.get(pk=created.pk).events.get().kind == "submitted"


@pytest.mark.django_db(transaction=True)
def test_a_taken_reference_is_drawn_again_in_its_own_transaction(monkeypatch, request_type_catalogue, customer):
    existing = ServiceRequestFactory()
    _taken_then_fresh(monkeypatch, existing.reference)

    created = services.service_request_submit(
        customer=customer, request_type=RequestType.objects.get(name="Maintenance"), details="Meter noise"
    )

    assert created.reference == "SR-FRSH-0001"
    assert ServiceRequest.objects.count() == 2


@pytest.mark.django_db
def test_the_response_timeline_is_what_the_database_holds(customer_api):
    upload = SimpleUploadedFile("meter.png", PNG, content_type="image/png")

    headers = {"X-CSRFToken": customer_api.csrf_token}
    response = customer_api.client.post(
        "/api/submit/", {"type_of_request": "Maintenance", "details": "Meter noise", "files": [upload]}, headers=headers
    )

    assert response.status_code == 201, response.content
    body = response.json()["data"]
    fresh = customer_api.get(f"/api/track/{body['id']}/").json()["data"]
    assert body["timeline"] == fresh["timeline"]
    assert [event["kind"] for event in body["timeline"]] == ["submitted", "attachment"]
    assert body["attachments"] == fresh["attachments"]
