"""The lists: the staff queue and the customer's own requests.

Through the real login form, session and CSRF. Moved from test_pages.py (split by subject).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from testing.factories import ServiceRequestFactory, request_in
from testing.marks import COMMITTED_DB
from testing.page_client import Page
from testing.pages import (
    rows,
)
from testing.service_requests import INVALID_FILTERS
from utility_services.models import Priority, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db


# --- the staff queue --------------------------------------------------------------------------


@pytest.fixture
def queue(request_type_catalogue, customer, other_customer, agent):
    """Requests the queue must order: emergency first, then overdue, then the rest, closed last."""
    now = timezone.now()
    return {
        "closed": request_in(
            "Closed", customer=customer, submitted_at=now - timedelta(days=9), due_at=now - timedelta(days=8)
        ),
        "fresh": ServiceRequestFactory(customer=customer, details="Fresh one", priority=Priority.HIGH),
        "overdue": ServiceRequestFactory(
            customer=other_customer,
            submitted_at=now - timedelta(days=5),
            due_at=now - timedelta(hours=1),
            assignee=agent,
        ),
        "emergency": ServiceRequestFactory(
            customer=other_customer,
            request_type=RequestType.objects.get(name="Gas Leak"),
            priority=Priority.EMERGENCY,
            submitted_at=now - timedelta(minutes=10),
        ),
        "on-hold": request_in("On Hold", customer=customer, details="Waiting for parts"),
    }


def test_queue_default_order_is_emergency_then_overdue(agent_page, queue):
    listed = rows(agent_page.page("/staff/"))

    assert listed == [queue[key].reference for key in ("emergency", "overdue", "fresh", "on-hold", "closed")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": ["Pending"]}, {"fresh", "overdue", "emergency"}),
        ({"status": ["On Hold", "Closed"]}, {"on-hold", "closed"}),
        ({"overdue": "true"}, {"overdue"}),
        ({"assignee": "me"}, {"overdue"}),
        ({"priority": ["Emergency", "High"]}, {"emergency", "fresh"}),
        pytest.param({"search": "waiting for"}, {"on-hold"}, marks=COMMITTED_DB),
    ],
)
def test_queue_filters_like_the_api(agent_page, queue, params, expected):
    page = agent_page.page("/staff/", params)

    assert set(rows(page)) == {queue[key].reference for key in expected}
    shown = page.form_values(page.doc.find("form", method="get"))
    for name, value in params.items():
        assert sorted(shown.get(name, [])) == sorted(value if isinstance(value, list) else [value])


def test_queue_status_filter_is_a_set_of_checkboxes(agent_page, queue):
    page = agent_page.page("/staff/")

    boxes = page.doc.find_all("input", type_="checkbox", name="status")
    assert [box.attrs["value"] for box in boxes] == [s.value for s in ServiceRequest.Status]


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_queue_search_by_reference_finds_exactly_that_request(agent_page, queue, case):
    wanted = queue["fresh"].reference

    assert rows(agent_page.page("/staff/", {"search": case(wanted)})) == [wanted]


@pytest.mark.parametrize(
    ("params", "field"), INVALID_FILTERS, ids=[f"{field}={params[field]!r:.12}" for params, field in INVALID_FILTERS]
)
def test_invalid_queue_filter_shows_errors_not_a_500(agent_page, queue, params, field):
    agent_page.client.raise_request_exception = False

    response = agent_page.get("/staff/", params)

    assert response.status_code == 200, f"{response.status_code} for {params}"
    page = Page(response)
    assert page.error_summary() is not None
    assert rows(page) == []


def test_queue_pages_keep_the_filter(agent_page, customer):
    ServiceRequestFactory.create_batch(21, customer=customer)
    ServiceRequestFactory(customer=customer, status="On Hold")

    first = agent_page.page("/staff/", {"status": "Pending"})
    second = agent_page.page("/staff/", {"status": "Pending", "page": 2})

    assert (len(rows(first)), len(rows(second))) == (20, 1)
    assert first.doc.find("a", rel="next").attrs["href"] == "?status=Pending&page=2"
    assert set(rows(first)).isdisjoint(rows(second))


# --- the customer's list ----------------------------------------------------------------------


def test_my_requests_are_newest_first_with_status_badges_and_pages(customer_page, customer):
    now = timezone.now()
    made = [ServiceRequestFactory(customer=customer, submitted_at=now - timedelta(hours=n)) for n in range(22)]
    request_in("Resolved", customer=customer, submitted_at=now - timedelta(days=30))

    first = customer_page.page("/requests/", {"status": "Pending"})
    second = customer_page.page("/requests/", {"status": "Pending", "page": 2})

    assert rows(first) + rows(second) == [sr.reference for sr in made]
    assert first.doc.find("a", rel="next").attrs["href"] == "?status=Pending&page=2"
    badges = [span.text() for span in first.doc.find("tbody").find_all("span", class_="badge")]
    assert badges == ["Pending"] * 20


def test_my_requests_filter_by_status(customer_page, customer):
    pending, resolved = request_in("Pending", customer=customer), request_in("Resolved", customer=customer)
    request_in("Cancelled", customer=customer)

    page = customer_page.page("/requests/", {"status": ["Pending", "Resolved"]})

    assert set(rows(page)) == {pending.reference, resolved.reference}


@pytest.mark.parametrize("params", [{"status": "Bogus"}, {"status": ["Pending", "Nope"]}])
def test_my_requests_invalid_filter_shows_errors_not_a_500(customer_page, mine, params):
    page = customer_page.page("/requests/", params)

    assert page.field_errors("status")
    assert rows(page) == []
