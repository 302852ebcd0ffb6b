"""Due dates and overdue requests through HTTP.

Moved from test_lifecycle.py (split by subject).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from testing.assertions import success_data
from testing.factories import request_in
from testing.service_requests import (
    OPEN,
    QUEUE,
    STATUSES,
    ids,
    staff_url,
    submit,
)
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db


# --- due dates and overdue ----------------------------------------------------------------------------


@pytest.mark.parametrize("type_of_request", ["Gas Leak", "Maintenance", "New Connection", "Other"])
def test_due_at_is_submission_plus_the_types_target(customer_api, agent_api, type_of_request):
    # The target is data: change it and the due date follows.
    RequestType.objects.filter(name="Other").update(target_resolution_hours=7)
    hours = RequestType.objects.get(name=type_of_request).target_resolution_hours

    data = submit(customer_api, type_of_request)

    due_at = parse_datetime(data["due_at"])
    assert due_at - parse_datetime(data["submitted_at"]) == timedelta(hours=hours)
    assert parse_datetime(success_data(agent_api.get(staff_url(data["id"])))["due_at"]) == due_at
    assert ServiceRequest.objects.get(pk=data["id"]).due_at == due_at


@pytest.mark.parametrize("status", STATUSES)
def test_only_open_requests_past_due_are_overdue(agent_api, status):
    now = timezone.now()
    past_due = request_in(status, submitted_at=now - timedelta(days=5), due_at=now - timedelta(minutes=1))
    not_due = request_in("Pending")
    is_overdue = status in OPEN

    listed = {item["id"]: item["is_overdue"] for item in success_data(agent_api.get(QUEUE))}

    assert listed == {past_due.pk: is_overdue, not_due.pk: False}
    assert success_data(agent_api.get(staff_url(past_due.pk)))["is_overdue"] is is_overdue
    assert ids(agent_api.get(QUEUE, {"overdue": "true"})) == ([past_due.pk] if is_overdue else [])
    assert set(ids(agent_api.get(QUEUE, {"overdue": "false"}))) == (
        {not_due.pk} if is_overdue else {past_due.pk, not_due.pk}
    )
