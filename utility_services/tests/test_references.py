"""Every submission gets a unique, readable reference (SR-XXXX-XXXX) that is not a counter.

Moved from test_lifecycle.py (split by subject).
"""

import pytest
from django.core import mail

from testing.assertions import success_data
from testing.factories import ServiceRequestFactory
from testing.service_requests import (
    QUEUE,
    REFERENCE,
    TRACK,
    ids,
    staff_url,
    submit,
    track_url,
)
from utility_services.models import ServiceRequest

pytestmark = pytest.mark.django_db


# --- references -------------------------------------------------------------------------------


def test_each_submission_gets_a_unique_readable_reference_that_is_not_a_counter(customer_api):
    references = [submit(customer_api, details=f"Request {n}")["reference"] for n in range(20)]

    assert all(REFERENCE.match(reference) for reference in references), references
    assert len(set(references)) == len(references)
    # Twenty random codes come out in submission order once in 20! tries; a counter always does.
    assert sorted(references) != references
    stored = dict(ServiceRequest.objects.values_list("pk", "reference"))
    assert sorted(stored.values()) == sorted(references)


def test_reference_appears_in_every_response_and_email_subject(
    customer_api, agent_api, customer, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted = submit(customer_api, "Gas Leak", "Smell of gas in the hall")
        reference, request_id = submitted["reference"], submitted["id"]
        staff_detail = success_data(agent_api.put(staff_url(request_id), {"assignee": agent.pk}))
        success_data(agent_api.put(staff_url(request_id), {"status": "In Progress"}))
        success_data(customer_api.post(track_url(request_id, "comments"), {"body": "It is getting stronger"}), 201)
        success_data(agent_api.post(staff_url(request_id, "notes"), {"body": "On our way", "is_internal": False}), 201)

    assert REFERENCE.match(reference)
    assert [item["reference"] for item in success_data(customer_api.get(TRACK))] == [reference]
    assert success_data(customer_api.get(track_url(request_id)))["reference"] == reference
    assert [item["reference"] for item in success_data(agent_api.get(QUEUE))] == [reference]
    assert staff_detail["reference"] == reference
    assert success_data(agent_api.get(staff_url(request_id)))["reference"] == reference
    recipients = {address for email in mail.outbox for address in email.to}
    assert {"oncall@localhost", customer.email, agent.email} <= recipients
    assert all(reference in email.subject for email in mail.outbox), [email.subject for email in mail.outbox]


def test_staff_search_by_reference_finds_exactly_that_request(customer_api, agent_api, other_customer):
    wanted = submit(customer_api, details="Wanted")
    submit(customer_api, details="Another one")
    ServiceRequestFactory.create_batch(3, customer=other_customer)

    assert ids(agent_api.get(QUEUE, {"search": wanted["reference"]})) == [wanted["id"]]
    assert ids(agent_api.get(QUEUE, {"search": wanted["reference"].lower()})) == [wanted["id"]]
