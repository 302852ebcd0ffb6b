"""The staff queue's stored order: `ServiceRequest.urgency`, kept by the services and a periodic job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from testing.factories import ServiceRequestFactory
from utility_services import services
from utility_services.models import Priority, RequestType, ServiceRequest, Urgency
from utility_services.tasks import mark_overdue_requests

pytestmark = pytest.mark.django_db


def stored(service_request) -> int:
    return ServiceRequest.objects.values_list("urgency", flat=True).get(pk=service_request.pk)


def test_submission_stores_open_or_emergency(customer):
    maintenance = RequestType.objects.get(name="Maintenance")
    leak = RequestType.objects.get(name="Gas Leak")

    plain = services.service_request_submit(customer=customer, request_type=maintenance, details="Meter noise")
    emergency = services.service_request_submit(customer=customer, request_type=leak, details="Smell of gas")

    assert (stored(plain), stored(emergency)) == (Urgency.OPEN, Urgency.EMERGENCY)


def test_staff_changes_of_priority_and_status_move_it(agent):
    service_request = ServiceRequestFactory()

    services.service_request_update(acting_user=agent, service_request=service_request, priority=Priority.EMERGENCY)
    assert stored(service_request) == Urgency.EMERGENCY
    services.service_request_update(acting_user=agent, service_request=service_request, priority=Priority.LOW)
    assert stored(service_request) == Urgency.OPEN
    services.service_request_update(acting_user=agent, service_request=service_request, status="In Progress")
    services.service_request_update(acting_user=agent, service_request=service_request, status="Resolved")
    assert stored(service_request) == Urgency.SETTLED


def test_reclassifying_to_an_emergency_type_moves_it_first(agent):
    service_request = ServiceRequestFactory()

    services.service_request_update(
        acting_user=agent, service_request=service_request, request_type=RequestType.objects.get(name="Gas Leak")
    )

    assert stored(service_request) == Urgency.EMERGENCY


def test_customer_cancel_settles_it(customer):
    service_request = ServiceRequestFactory(customer=customer)

    services.service_request_cancel(customer=customer, service_request=service_request)

    assert stored(service_request) == Urgency.SETTLED


def test_the_periodic_job_marks_requests_whose_due_time_passed():
    now = timezone.now()
    due_soon = ServiceRequestFactory(submitted_at=now - timedelta(hours=1), due_at=now + timedelta(minutes=1))
    later = ServiceRequestFactory(submitted_at=now - timedelta(hours=1), due_at=now + timedelta(days=1))
    assert stored(due_soon) == Urgency.OPEN

    assert ServiceRequest.objects.mark_overdue(now + timedelta(minutes=2)) == 1
    assert (stored(due_soon), stored(later)) == (Urgency.OVERDUE, Urgency.OPEN)
    # Nothing more to do on the next run.
    assert mark_overdue_requests() == 0


def test_the_default_order_uses_the_stored_column(agent_api, customer):
    now = timezone.now()
    settled = ServiceRequestFactory(status="Cancelled", cancelled_at=now, priority=Priority.HIGH)
    emergency = ServiceRequestFactory(priority=Priority.EMERGENCY, submitted_at=now - timedelta(days=3))
    overdue = ServiceRequestFactory(
        priority=Priority.LOW, submitted_at=now - timedelta(days=9), due_at=now - timedelta(hours=1)
    )
    high = ServiceRequestFactory(priority=Priority.HIGH)
    normal = ServiceRequestFactory(submitted_at=now - timedelta(hours=1))

    listed = [row["id"] for row in agent_api.get("/api/admin/requests/").json()["data"]]

    assert listed == [r.pk for r in (emergency, overdue, high, normal, settled)]
    assert list(ServiceRequest.objects.for_staff().values_list("pk", flat=True)) == listed
