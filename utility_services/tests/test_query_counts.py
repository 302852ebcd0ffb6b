"""Queries per request are constant: the same exact number whatever the data size.

Each endpoint of the benchmark runs against a small and a ten-times-larger data set,
with assignees, several customers and types (so a missing join would show as N+1).
Not a timing test: counts only.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.factories import PASSWORD, ServiceRequestFactory, UserFactory
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

# endpoint: (method, path, body, expected queries, who)
ENDPOINTS = {
    # session, user, the page's ids (and one more), the count (only when there is a next page), the page's rows
    "track list": ("get", "/api/track/", None, 5, "customer"),
    # session, user, the request (+type), its events, its attachments
    "track detail": ("get", "/api/track/{own}/", None, 5, "customer"),
    "staff queue": ("get", "/api/admin/requests/?status=Pending&status=On%20Hold", None, 5, "agent"),
    "staff queue default": ("get", "/api/admin/requests/", None, 5, "agent"),
    # + the documents' id range and a sample spread over it, to choose the plan (search.py)
    "staff search": ("get", "/api/admin/requests/?search=boiler+kitchen", None, 7, "agent"),
    "staff overdue by due date": ("get", "/api/admin/requests/?overdue=true&ordering=due_at", None, 5, "agent"),
    # session, user, request (+joins), then the detail serializer's events and attachments
    "staff detail": ("get", "/api/admin/requests/{any}/", None, 5, "agent"),
    # session, user, by status, type names, by type, by priority, resolved count, median, overdue
    "stats": ("get", "/api/admin/stats/?submitted_after=2000-01-01T00:00:00Z", None, 9, "agent"),
}


def _data(scale, customer, agent):
    types = list(RequestType.objects.all())
    others = UserFactory.create_batch(3)
    for i in range(scale):
        owner = customer if i % 2 == 0 else others[i % 3]
        request = ServiceRequestFactory(
            customer=owner,
            request_type=types[i % len(types)],
            assignee=agent if i % 3 else None,
            details=f"Boiler in the kitchen, case {i}",
        )
        if i % 3 == 0:  # overdue: due in the past and still open
            ServiceRequest.objects.filter(pk=request.pk).update(due_at=request.submitted_at - timedelta(hours=1))
        elif i % 3 == 1:  # resolved, for the median time to resolve
            ServiceRequest.objects.filter(pk=request.pk).update(
                status="Resolved", resolved_at=request.submitted_at + timedelta(hours=i)
            )


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("scale", [3, 30])
def test_query_count_is_fixed_whatever_the_data_size(name, scale, customer, agent, customer_api, agent_api):
    _data(scale, customer, agent)
    method, path, body, expected, who = ENDPOINTS[name]
    client = customer_api if who == "customer" else agent_api
    own = customer.service_requests.order_by("id").first()
    path = path.format(own=own.pk, any=own.pk)

    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, body)

    assert response.status_code == 200, response.content
    pagination = response.json()["pagination"] if name not in ("track detail", "staff detail", "stats") else None
    if pagination is not None and pagination["next"] is None:
        expected -= 1  # the page ends the list: it is its own count, no COUNT query
    assert len(queries) == expected, "\n".join(query["sql"][:150] for query in queries)


@pytest.mark.parametrize("scale", [3, 30])
def test_write_query_counts_are_fixed(scale, customer, agent, customer_api, agent_api, api, django_assert_num_queries):
    _data(scale, customer, agent)
    target = customer.service_requests.order_by("id").first()

    # session, user, the type catalogue, savepoint (the test's transaction is open: the submission retries
    # inside it when its reference clashes), the type's questions, the request, its search document, its
    # timeline (one INSERT), release. The response's events and files are what was just written: no query.
    with django_assert_num_queries(SUBMIT_QUERIES):
        response = customer_api.post("/api/submit/", {"type_of_request": "Maintenance", "details": "Meter noise"})
    assert response.status_code == 201

    # session, user, the request, savepoint, the row locked, the event, the update, release, then the
    # response's request (+joins), events and files.
    with django_assert_num_queries(UPDATE_QUERIES):
        response = agent_api.patch(f"/api/admin/requests/{target.pk}/", {"priority": "High"})
    assert response.status_code == 200

    # django-axes' lockout checks (per username and per address), the user, a new session (exists check,
    # insert), axes' access log and reset-on-success reads, last_login, the session's data.
    with django_assert_num_queries(LOGIN_QUERIES):
        response = api.post("/accounts/api/login/", {"username": customer.username, "password": PASSWORD})
    assert response.status_code == 200


SUBMIT_QUERIES = 9
UPDATE_QUERIES = 11
LOGIN_QUERIES = 15
