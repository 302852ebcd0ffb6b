"""The hot lists' plain-dict rows are exactly what their serializers write, field for field and byte for byte."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.api.renderers import JSONRenderer
from testing.factories import ServiceRequestFactory
from utility_services.api.serializers import (
    ServiceRequestSerializer,
    StaffServiceRequestSerializer,
    staff_rows,
    track_rows,
)
from utility_services.models import Priority, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def variety(customer, agent):
    """Requests that differ in every field the lists show: each branch of each field is taken."""
    now = timezone.now()
    leak = RequestType.objects.get(name="Gas Leak")
    ServiceRequestFactory(customer=customer, assignee=agent, priority=Priority.HIGH, attributes={"meter": "12"})
    ServiceRequestFactory(
        customer=customer, request_type=leak, priority=Priority.EMERGENCY, latitude=51.5, longitude=-0.1
    )
    ServiceRequestFactory(
        customer=customer, status="Resolved", resolved_at=now - timedelta(hours=2), details="Zoë — 東京 \u2028"
    )
    ServiceRequestFactory(
        customer=customer, status="Resolved", resolved_at=now - timedelta(days=400), priority=Priority.LOW
    )
    ServiceRequestFactory(
        customer=customer,
        status="Closed",
        resolved_at=now - timedelta(days=3),
        closed_at=now - timedelta(days=1),
        resolution_details="Replaced the valve",
    )
    ServiceRequestFactory(customer=customer, status="Cancelled", cancelled_at=now, contact_email="someone@example.com")
    ServiceRequestFactory(customer=customer, status="On Hold", due_at=now - timedelta(hours=1), postcode="SW1A 1AA")
    ServiceRequestFactory(
        customer=None, channel="open311", contact_name="A passer-by", contact_phone="+441632960000", address="Kerb"
    )
    ServiceRequestFactory(customer=customer, submitted_at=now.replace(microsecond=0))


def test_track_rows_equal_the_serializer(variety, customer):
    requests = list(ServiceRequest.objects.for_customer(customer))
    expected = ServiceRequestSerializer(requests, many=True).data

    rows = track_rows(requests)

    assert [list(row) for row in rows] == [list(row) for row in expected]  # same fields, same order
    assert rows == expected
    assert JSONRenderer().render(rows) == JSONRenderer().render(expected)


def test_staff_rows_equal_the_serializer(variety):
    requests = list(ServiceRequest.objects.for_staff())
    expected = StaffServiceRequestSerializer(requests, many=True).data

    rows = staff_rows(requests)

    assert [list(row) for row in rows] == [list(row) for row in expected]
    assert rows == expected
    assert JSONRenderer().render(rows) == JSONRenderer().render(expected)


def test_the_lists_send_the_rows(variety, customer, customer_api, agent_api):
    track = customer_api.get("/api/track/", {"page_size": 100}).json()["data"]
    queue = agent_api.get("/api/admin/requests/", {"page_size": 100}).json()["data"]

    assert track == ServiceRequestSerializer(ServiceRequest.objects.for_customer(customer), many=True).data
    assert queue == StaffServiceRequestSerializer(ServiceRequest.objects.for_staff(), many=True).data
