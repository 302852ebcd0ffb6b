"""The staff side of the service-request API: GET /api/admin/requests/ and /api/admin/requests/<id>/.

Open to agents and admins; customers get 403, anonymous callers 401.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from testing.assertions import error_details, success_data
from testing.factories import ServiceRequestFactory, UserFactory
from testing.marks import search_db
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

LIST = "/api/admin/requests/"
STAFF_CLIENTS = ["agent_api", "admin_api"]
STAFF_FIELDS = {
    "id",
    "type_of_request",
    "details",
    "status",
    "submitted_at",
    "updated_at",
    "resolved_at",
    "resolution_details",
    "customer",
}


def detail_url(request_id: int) -> str:
    return f"{LIST}{request_id}/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]


@pytest.fixture
def service_request(customer):
    return ServiceRequestFactory(customer=customer, details="Meter is ticking loudly")


# --- who may call -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "on_detail"),
    [("get", False), ("get", True), ("put", True), ("patch", True), ("delete", True)],
)
def test_anonymous_gets_401(api, service_request, method, on_detail):
    url = detail_url(service_request.pk) if on_detail else LIST
    response = api.request(method, url, {"status": "In Progress"} if method in {"put", "patch"} else None)

    error_details(response, 401)
    assert response["WWW-Authenticate"]
    assert ServiceRequest.objects.get(pk=service_request.pk).status == "Pending"


@pytest.mark.parametrize(
    ("method", "on_detail"),
    [("get", False), ("get", True), ("put", True), ("patch", True), ("delete", True)],
)
def test_customer_gets_403_even_for_their_own_request(customer_api, service_request, method, on_detail):
    url = detail_url(service_request.pk) if on_detail else LIST
    response = customer_api.request(method, url, {"status": "Resolved"} if method in {"put", "patch"} else None)

    error_details(response, 403)
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == "Pending"


def test_customer_403_for_missing_request_does_not_reveal_anything(customer_api):
    error_details(customer_api.get(detail_url(999_999)), 403)


@pytest.mark.parametrize("client_fixture", STAFF_CLIENTS)
def test_staff_list_every_customers_requests(request, client_fixture, customer, other_customer):
    mine = ServiceRequestFactory(customer=customer)
    theirs = ServiceRequestFactory(customer=other_customer)

    response = request.getfixturevalue(client_fixture).get(LIST)

    assert sorted(ids(response)) == sorted([mine.pk, theirs.pk])
    body = response.json()
    assert set(body) == {"message", "data", "pagination"}
    item = next(i for i in body["data"] if i["id"] == mine.pk)
    assert STAFF_FIELDS <= set(item)
    assert item["customer"] == {
        "id": customer.pk,
        "customer_id": customer.customer_id,
        "username": customer.username,
        "name": customer.name,
        "email": customer.email,
        "phone_number": customer.phone_number,
        "address": customer.address,
    }


@pytest.mark.parametrize("client_fixture", STAFF_CLIENTS)
def test_staff_read_any_request(request, client_fixture, service_request, customer):
    data = success_data(request.getfixturevalue(client_fixture).get(detail_url(service_request.pk)))

    assert STAFF_FIELDS <= set(data)
    assert data["id"] == service_request.pk
    assert data["details"] == "Meter is ticking loudly"
    assert data["type_of_request"] == "Maintenance"
    assert data["customer"]["customer_id"] == customer.customer_id
    assert "password" not in data["customer"]


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_staff_get_404_envelope_for_missing_request(agent_api, method):
    error_details(agent_api.request(method, detail_url(999_999), {} if method in {"put", "patch"} else None), 404)


# --- wrong method, CSRF, content type ----------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_list_answers_405_to_unsafe_methods(agent_api, method):
    response = agent_api.request(method, LIST, {})
    error_details(response, 405)
    assert "GET" in response["Allow"]


def test_detail_answers_405_to_post(agent_api, service_request):
    response = agent_api.post(detail_url(service_request.pk), {"status": "Resolved"})

    error_details(response, 405)
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "PUT", "PATCH", "DELETE"}
    assert ServiceRequest.objects.get(pk=service_request.pk).status == "Pending"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_unsafe_requests_without_csrf_token_are_refused(agent_api, service_request, method):
    response = agent_api.request(method, detail_url(service_request.pk), {"status": "In Progress"}, csrf=False)

    error_details(response, 403)
    assert "CSRF" in response.json()["error"]
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == "Pending"


def test_update_refuses_form_encoded_body(agent_api, service_request):
    response = agent_api.put(
        detail_url(service_request.pk), "status=Resolved", content_type="application/x-www-form-urlencoded"
    )
    error_details(response, 415)
    assert ServiceRequest.objects.get(pk=service_request.pk).status == "Pending"


# --- list: order, pagination, filters, query count ----------------------------------------


def test_list_is_newest_first(agent_api, customer, other_customer):
    now = timezone.now()
    made = {}
    for label, owner, minutes in [("middle", customer, 30), ("newest", other_customer, 1), ("oldest", customer, 90)]:
        made[label] = ServiceRequestFactory(customer=owner)
        ServiceRequest.objects.filter(pk=made[label].pk).update(submitted_at=now - timedelta(minutes=minutes))

    assert ids(agent_api.get(LIST)) == [made["newest"].pk, made["middle"].pk, made["oldest"].pk]


def test_list_is_paginated_with_a_capped_page_size(agent_api):
    ServiceRequestFactory.create_batch(105)

    default = agent_api.get(LIST).json()
    capped = agent_api.get(LIST, {"page_size": 1000}).json()
    small = agent_api.get(LIST, {"page_size": 50, "page": 3}).json()

    assert len(default["data"]) == 20
    assert default["pagination"]["count"] == 105
    assert default["pagination"]["page_size"] == 20
    assert default["pagination"]["total_pages"] == 6
    assert "page=2" in default["pagination"]["next"]
    assert len(capped["data"]) == 100
    assert capped["pagination"]["page_size"] == 100
    assert capped["pagination"]["total_pages"] == 2
    assert len(small["data"]) == 5
    assert small["pagination"]["next"] is None
    assert "page=2" in small["pagination"]["previous"]


def test_list_page_beyond_range_is_404_envelope(agent_api):
    ServiceRequestFactory.create_batch(2)
    error_details(agent_api.get(LIST, {"page": 2}), 404)


@pytest.mark.parametrize("status", ["Pending", "In Progress", "Resolved", "Closed", "Cancelled"])
def test_list_filters_by_status(agent_api, status):
    now = timezone.now()
    by_status = {
        "Pending": ServiceRequestFactory(),
        "In Progress": ServiceRequestFactory(status="In Progress"),
        "Resolved": ServiceRequestFactory(status="Resolved", resolved_at=now),
        "Closed": ServiceRequestFactory(status="Closed", resolved_at=now, closed_at=now),
        "Cancelled": ServiceRequestFactory(status="Cancelled", cancelled_at=now),
    }

    response = agent_api.get(LIST, {"status": status})

    assert ids(response) == [by_status[status].pk]
    assert response.json()["data"][0]["status"] == status


def test_list_filters_by_type_of_request(agent_api):
    leak = ServiceRequestFactory(request_type=RequestType.objects.get(name="Gas Leak"))
    ServiceRequestFactory(request_type=RequestType.objects.get(name="New Connection"))

    assert ids(agent_api.get(LIST, {"type_of_request": "Gas Leak"})) == [leak.pk]


def test_list_combines_filters(agent_api):
    leak_type = RequestType.objects.get(name="Gas Leak")
    wanted = ServiceRequestFactory(request_type=leak_type, status="In Progress")
    ServiceRequestFactory(request_type=leak_type)
    ServiceRequestFactory(status="In Progress")

    assert ids(agent_api.get(LIST, {"type_of_request": "Gas Leak", "status": "In Progress"})) == [wanted.pk]


@pytest.mark.parametrize(
    ("attribute", "term"),
    [
        ("name", "zebedee"),
        ("email", "ZEB@UNUSUAL"),
        ("username", "zebby"),
        ("customer_id", None),
        ("details", "boiler cupboard"),
    ],
)
@search_db
def test_list_search_matches_customer_fields_and_details(agent_api, attribute, term):
    target_customer = UserFactory(username="zebby99", name="Zebedee Quill", email="zeb@unusual-domain.test")
    target = ServiceRequestFactory(customer=target_customer, details="Smell in the Boiler Cupboard")
    ServiceRequestFactory(details="Nothing to see")
    if attribute == "customer_id":
        term = target_customer.customer_id[3:].lower()

    assert ids(agent_api.get(LIST, {"search": term})) == [target.pk]


def test_list_search_with_no_match_is_empty(agent_api):
    ServiceRequestFactory.create_batch(2)
    response = agent_api.get(LIST, {"search": "no-such-text-anywhere"})
    assert ids(response) == []
    assert response.json()["pagination"]["count"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "Done"}, "status"),
        ({"status": "in progress"}, "status"),
        ({"type_of_request": "Free Gas"}, "type_of_request"),
        ({"type_of_request": "gas leak"}, "type_of_request"),
        ({"search": "x" * 101}, "search"),
    ],
    ids=lambda value: None if isinstance(value, str) else f"{next(iter(value))}:{next(iter(value.values()))!r:.20}",
)
def test_list_refuses_invalid_filters(agent_api, params, field):
    details = error_details(agent_api.get(LIST, params), 400)

    assert field in details
    assert details[field]


@pytest.mark.parametrize("page_size", [1, 20])
def test_list_query_count_does_not_grow_with_page_size(agent_api, django_assert_num_queries, page_size):
    customers = UserFactory.create_batch(5)
    types = list(RequestType.objects.all())
    for index in range(25):
        ServiceRequestFactory(customer=customers[index % 5], request_type=types[index % len(types)])

    # session, user, count, the page's ids (index only), the page's rows (customer and type joined in).
    with django_assert_num_queries(5):
        response = agent_api.get(LIST, {"page_size": page_size})

    assert len(response.json()["data"]) == page_size


def test_detail_uses_a_fixed_number_of_queries(agent_api, service_request, django_assert_num_queries):
    # session, user, the request with its customer, type and assignee, its events, its attachments.
    with django_assert_num_queries(5):
        assert agent_api.get(detail_url(service_request.pk)).status_code == 200


# --- PUT / PATCH ----------------------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", STAFF_CLIENTS)
def test_readme_put_example_applies_both_fields(request, client_fixture, service_request):
    client = request.getfixturevalue(client_fixture)

    data = success_data(
        client.put(detail_url(service_request.pk), {"status": "In Progress", "details": "Updated details"})
    )

    assert data["status"] == "In Progress"
    assert data["details"] == "Updated details"
    assert data["customer"]["id"] == service_request.customer_id
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == "In Progress"
    assert stored.details == "Updated details"
    assert stored.updated_at > service_request.updated_at


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"status": "Resolved"}, {"status": "Resolved", "details": "Meter is ticking loudly"}),
        ({"details": "Only details"}, {"status": "Pending", "details": "Only details"}),
        ({"resolution_details": "Replaced the regulator"}, {"resolution_details": "Replaced the regulator"}),
        ({"type_of_request": "Gas Leak"}, {"type_of_request": "Gas Leak", "status": "Pending"}),
        (
            {"status": "Resolved", "resolution_details": "Fixed", "type_of_request": "Other", "details": "New"},
            {"status": "Resolved", "resolution_details": "Fixed", "type_of_request": "Other", "details": "New"},
        ),
    ],
    ids=["status", "details", "resolution", "type", "all"],
)
def test_staff_update_applies_only_the_given_fields(agent_api, service_request, method, payload, expected):
    data = success_data(agent_api.request(method, detail_url(service_request.pk), payload))

    for key, value in expected.items():
        assert data[key] == value
    stored = ServiceRequest.objects.select_related("request_type").get(pk=service_request.pk)
    for key, value in expected.items():
        assert (stored.request_type.name if key == "type_of_request" else getattr(stored, key)) == value


def test_resolution_details_can_be_cleared(agent_api, customer):
    service_request = ServiceRequestFactory(customer=customer, resolution_details="Old note")

    data = success_data(agent_api.patch(detail_url(service_request.pk), {"resolution_details": ""}))

    assert data["resolution_details"] == ""
    assert ServiceRequest.objects.get(pk=service_request.pk).resolution_details == ""


def test_empty_update_changes_nothing(agent_api, service_request):
    data = success_data(agent_api.patch(detail_url(service_request.pk), {}))

    assert data["status"] == "Pending"
    assert data["details"] == "Meter is ticking loudly"


def test_staff_update_is_visible_to_the_customer(agent_api, customer_api, service_request):
    agent_api.put(detail_url(service_request.pk), {"status": "Resolved", "resolution_details": "Meter replaced"})

    data = success_data(customer_api.get(f"/api/track/{service_request.pk}/"))

    assert data["status"] == "Resolved"
    assert data["resolution_details"] == "Meter replaced"
    assert data["resolved_at"] is not None


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "Done"}, "status"),
        ({"status": "in progress"}, "status"),
        ({"status": None}, "status"),
        ({"status": 1}, "status"),
        ({"details": ""}, "details"),
        ({"details": "   "}, "details"),
        ({"details": "x" * 5001}, "details"),
        ({"details": None}, "details"),
        ({"resolution_details": "x" * 5001}, "resolution_details"),
        ({"type_of_request": "Free Gas"}, "type_of_request"),
        ({"type_of_request": 7}, "type_of_request"),
        ({"type_of_request": "gas leak"}, "type_of_request"),
        ({"priority": "high"}, "priority"),
        ({"customer": 1}, "customer"),
        ({"resolved_at": "2024-01-01T00:00:00Z"}, "resolved_at"),
        ({"submitted_at": "2024-01-01T00:00:00Z"}, "submitted_at"),
        ({"id": 5}, "id"),
    ],
    ids=lambda value: None if isinstance(value, str) else f"{next(iter(value))}:{next(iter(value.values()))!r:.20}",
)
def test_invalid_staff_update_is_400_naming_the_field(agent_api, service_request, method, payload, field):
    details = error_details(agent_api.request(method, detail_url(service_request.pk), payload), 400)

    assert list(details) == [field]
    assert details[field]
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.status, stored.details, stored.resolution_details) == ("Pending", "Meter is ticking loudly", "")


def test_unknown_field_is_refused_with_its_name(agent_api, service_request):
    details = error_details(agent_api.put(detail_url(service_request.pk), {"status": "Resolved", "colour": "red"}), 400)

    assert details == {"colour": ["This field cannot be set here."]}
    assert ServiceRequest.objects.get(pk=service_request.pk).status == "Pending"


def test_unknown_status_message_lists_the_statuses(agent_api, service_request):
    details = error_details(agent_api.put(detail_url(service_request.pk), {"status": "Done"}), 400)
    assert "Done" in details["status"][0]


@pytest.mark.parametrize("body", [["status", "Resolved"], "Resolved"])
def test_update_body_must_be_an_object(agent_api, service_request, body):
    error_details(agent_api.put(detail_url(service_request.pk), body), 400)


def test_forbidden_transition_is_409_and_changes_nothing(agent_api, customer):
    service_request = ServiceRequestFactory(customer=customer, status="Cancelled", cancelled_at=timezone.now())

    details = error_details(
        agent_api.put(detail_url(service_request.pk), {"status": "In Progress", "details": "Reopen"}), 409
    )

    assert details["allowed_transitions"] == []
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert stored.status == "Cancelled"
    assert stored.details == service_request.details


# --- DELETE -------------------------------------------------------------------------------


def test_agent_cannot_delete_a_request(agent_api, service_request):
    """Deleting records is for administrators (issue 3): an agent's DELETE is refused, nothing lost."""
    error_details(agent_api.delete(detail_url(service_request.pk)), 403)
    assert ServiceRequest.objects.filter(pk=service_request.pk).exists()


def test_admin_delete_removes_the_request(admin_api, service_request):
    client = admin_api
    kept = ServiceRequestFactory()

    response = client.delete(detail_url(service_request.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "data"}
    assert body["message"]
    assert not ServiceRequest.objects.filter(pk=service_request.pk).exists()
    assert ServiceRequest.objects.filter(pk=kept.pk).exists()
    error_details(client.get(detail_url(service_request.pk)), 404)
    error_details(client.delete(detail_url(service_request.pk)), 404)


def test_deleted_request_disappears_from_customer_tracking(admin_api, customer_api, service_request):
    admin_api.delete(detail_url(service_request.pk))

    error_details(customer_api.get(f"/api/track/{service_request.pk}/"), 404)
    assert customer_api.get("/api/track/").json()["data"] == []
