"""The customer side of the service-request API, through HTTP with the real session + CSRF flow.

POST /api/submit/, GET /api/track/, GET /api/track/<id>/ and GET /api/request-types/.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from testing.assertions import error_details, success_data
from testing.factories import ServiceRequestFactory
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

SUBMIT = "/api/submit/"
TRACK = "/api/track/"
REQUEST_TYPES = "/api/request-types/"
CATALOGUE = [
    "Gas Leak",
    "Carbon Monoxide",
    "New Connection",
    "Maintenance",
    "Disconnection",
    "Reconnection",
    "Meter Reading",
    "Billing Query",
    "Other",
]
TRACK_FIELDS = {
    "id",
    "type_of_request",
    "details",
    "status",
    "submitted_at",
    "updated_at",
    "resolved_at",
    "resolution_details",
}
README_SUBMIT = {"type_of_request": "New Connection", "details": "Need new gas connection"}


def track_url(request_id: int) -> str:
    return f"{TRACK}{request_id}/"


def requests_at(customer, *minutes_ago: int) -> list[ServiceRequest]:
    """Create one request for `customer` per entry, submitted that many minutes ago."""
    now = timezone.now()
    created = []
    for minutes in minutes_ago:
        service_request = ServiceRequestFactory(customer=customer)
        # auto_now_add ignores a value passed at creation; set it afterwards.
        ServiceRequest.objects.filter(pk=service_request.pk).update(submitted_at=now - timedelta(minutes=minutes))
        created.append(service_request)
    return created


# --- POST /api/submit/ -------------------------------------------------------------------


def test_anonymous_cannot_submit(api):
    response = api.post(SUBMIT, README_SUBMIT)
    error_details(response, 401)
    assert response["WWW-Authenticate"]
    assert not ServiceRequest.objects.exists()


def test_customer_submits_readme_example(customer_api, customer):
    before = timezone.now()
    data = success_data(customer_api.post(SUBMIT, README_SUBMIT), 201)

    assert data["type_of_request"] == "New Connection"
    assert data["details"] == "Need new gas connection"
    assert data["status"] == "Pending"
    assert data["resolved_at"] is None
    assert data["resolution_details"] == ""
    assert TRACK_FIELDS <= set(data)
    stored = ServiceRequest.objects.get(pk=data["id"])
    assert stored.customer == customer
    assert stored.request_type.name == "New Connection"
    assert stored.status == ServiceRequest.Status.PENDING
    assert stored.submitted_at >= before


STAFF = pytest.mark.parametrize(
    ("user_fixture", "client_fixture"), [("agent", "agent_api"), ("admin_user", "admin_api")]
)


@STAFF
def test_staff_submission_is_filed_under_their_own_account(request, user_fixture, client_fixture):
    client = request.getfixturevalue(client_fixture)
    user = request.getfixturevalue(user_fixture)

    data = success_data(client.post(SUBMIT, README_SUBMIT), 201)

    assert ServiceRequest.objects.get(pk=data["id"]).customer == user


# The answers each type requires (its required questions); the others need none.
REQUIRED_ANSWERS = {"Meter Reading": {"reading": 4512}}


@pytest.mark.parametrize("name", CATALOGUE)
def test_every_catalogue_type_can_be_submitted(customer_api, name):
    body = {"type_of_request": name, "details": "Please help"}
    if name in REQUIRED_ANSWERS:
        body["attributes"] = REQUIRED_ANSWERS[name]
    data = success_data(customer_api.post(SUBMIT, body), 201)
    assert data["type_of_request"] == name


def test_submit_details_are_stored_trimmed(customer_api):
    data = success_data(
        customer_api.post(SUBMIT, {"type_of_request": "Other", "details": "  Smell near meter \n"}), 201
    )
    assert data["details"] == "Smell near meter"


def test_submit_accepts_details_of_exactly_the_limit(customer_api):
    data = success_data(customer_api.post(SUBMIT, {"type_of_request": "Other", "details": "x" * 5000}), 201)
    assert len(data["details"]) == 5000


def test_submit_without_csrf_token_is_refused(customer_api):
    response = customer_api.post(SUBMIT, README_SUBMIT, csrf=False)
    error_details(response, 403)
    assert "CSRF" in response.json()["error"]
    assert not ServiceRequest.objects.exists()


def test_submit_with_wrong_csrf_token_is_refused(customer_api):
    response = customer_api.post(SUBMIT, README_SUBMIT, csrf=False, headers={"X-CSRFToken": "x" * 32})
    error_details(response, 403)
    assert "CSRF" in response.json()["error"]
    assert not ServiceRequest.objects.exists()


def test_submit_refuses_form_encoded_body(customer_api):
    response = customer_api.post(
        SUBMIT, "type_of_request=Other&details=hello", content_type="application/x-www-form-urlencoded"
    )
    error_details(response, 415)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_submit_answers_405_to_other_methods(customer_api, method):
    response = customer_api.request(method, SUBMIT, {} if method != "get" else None)
    error_details(response, 405)
    assert "POST" in response["Allow"]


def test_unknown_request_type_lists_the_valid_choices(customer_api):
    details = error_details(customer_api.post(SUBMIT, {"type_of_request": "Free Gas", "details": "Please"}), 400)

    message = details["type_of_request"][0]
    assert "Free Gas" in message
    for name in CATALOGUE:
        assert name in message
    assert not ServiceRequest.objects.exists()


def test_inactive_request_type_cannot_be_submitted(customer_api):
    RequestType.objects.filter(name="Billing Query").update(is_active=False)

    details = error_details(customer_api.post(SUBMIT, {"type_of_request": "Billing Query", "details": "Hi"}), 400)

    assert "Billing Query" not in details["type_of_request"][0].split("Choose one of:")[1]


@pytest.mark.parametrize("name", ["new connection", "NEW CONNECTION", "New Connection "])
def test_request_type_name_must_match_exactly(customer_api, name):
    # Same answer on every database: MariaDB's default collation ignores case and trailing spaces.
    details = error_details(customer_api.post(SUBMIT, {"type_of_request": name, "details": "Hi"}), 400)
    assert list(details) == ["type_of_request"]
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"details": "No type"}, "type_of_request"),
        ({"type_of_request": "Other"}, "details"),
        ({"type_of_request": "Other", "details": ""}, "details"),
        ({"type_of_request": "Other", "details": "   \n\t "}, "details"),
        ({"type_of_request": "Other", "details": None}, "details"),
        ({"type_of_request": "Other", "details": "x" * 5001}, "details"),
        ({"type_of_request": "Other", "details": ["a list"]}, "details"),
        ({"type_of_request": "Other", "details": {"an": "object"}}, "details"),
        ({"type_of_request": "Other", "details": True}, "details"),
        ({"type_of_request": 3, "details": "Hi"}, "type_of_request"),
        ({"type_of_request": ["Other"], "details": "Hi"}, "type_of_request"),
        ({"type_of_request": None, "details": "Hi"}, "type_of_request"),
        ({"type_of_request": "", "details": "Hi"}, "type_of_request"),
    ],
    ids=[
        "type-missing",
        "details-missing",
        "details-empty",
        "details-whitespace",
        "details-null",
        "details-too-long",
        "details-list",
        "details-object",
        "details-bool",
        "type-number",
        "type-list",
        "type-null",
        "type-empty",
    ],
)
def test_invalid_submission_is_400_naming_the_field(customer_api, payload, field):
    details = error_details(customer_api.post(SUBMIT, payload), 400)

    assert list(details) == [field]
    assert isinstance(details[field], list)
    assert details[field]
    assert all(isinstance(message, str) for message in details[field])
    assert not ServiceRequest.objects.exists()


def test_details_over_the_limit_message_names_the_limit(customer_api):
    details = error_details(customer_api.post(SUBMIT, {"type_of_request": "Other", "details": "x" * 5001}), 400)
    assert "5000" in details["details"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "Resolved"),
        ("customer", 1),
        ("priority", "high"),
        ("resolved_at", "2024-01-01T00:00:00Z"),
        ("resolution_details", "Fixed myself"),
        ("id", 999),
    ],
)
def test_customer_cannot_set_other_fields_on_submit(customer_api, field, value):
    details = error_details(customer_api.post(SUBMIT, {**README_SUBMIT, field: value}), 400)

    assert details == {field: ["This field cannot be set here."]}
    assert not ServiceRequest.objects.exists()


def test_every_refused_field_is_named_at_once(customer_api, other_customer):
    payload = {
        **README_SUBMIT,
        "status": "Resolved",
        "customer": other_customer.pk,
        "priority": "urgent",
        "resolved_at": "2024-01-01T00:00:00Z",
    }

    details = error_details(customer_api.post(SUBMIT, payload), 400)

    assert set(details) == {"status", "customer", "priority", "resolved_at"}
    assert not ServiceRequest.objects.exists()


def test_refused_fields_are_reported_with_field_errors(customer_api):
    details = error_details(customer_api.post(SUBMIT, {"type_of_request": "Nope", "details": "", "status": "X"}), 400)
    assert set(details) == {"type_of_request", "details", "status"}


@pytest.mark.parametrize("body", [["a", "list"], "a string", 42])
def test_submit_body_must_be_an_object(customer_api, body):
    error_details(customer_api.post(SUBMIT, body), 400)
    assert not ServiceRequest.objects.exists()


def test_submit_malformed_json_is_400(customer_api):
    response = customer_api.post(SUBMIT, '{"type_of_request": ', content_type="application/json; charset=utf-8")
    error_details(response, 400)


# --- GET /api/track/ ---------------------------------------------------------------------


def test_anonymous_cannot_track(api):
    response = api.get(TRACK)
    error_details(response, 401)
    assert response["WWW-Authenticate"]


def test_track_lists_only_own_requests_newest_first(customer_api, customer, other_customer):
    # Submission order differs from id order, so only a sort on submitted_at passes.
    middle, newest, oldest = requests_at(customer, 20, 5, 60)
    requests_at(other_customer, 1, 2)

    response = customer_api.get(TRACK)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "data", "pagination"}
    assert [item["id"] for item in body["data"]] == [newest.pk, middle.pk, oldest.pk]
    assert body["pagination"] == {
        "count": 3,
        "count_is_exact": True,
        "page": 1,
        "page_size": 20,
        "total_pages": 1,
        "next": None,
        "previous": None,
    }


def test_track_ties_on_submission_time_are_broken_newest_id_first(customer_api, customer):
    first, second = ServiceRequestFactory.create_batch(2, customer=customer)
    ServiceRequest.objects.filter(pk__in=[first.pk, second.pk]).update(submitted_at=timezone.now())

    data = customer_api.get(TRACK).json()["data"]

    assert [item["id"] for item in data] == [second.pk, first.pk]


def test_track_items_have_the_readme_fields(customer_api, customer):
    service_request = ServiceRequestFactory(customer=customer, resolution_details="")

    item = customer_api.get(TRACK).json()["data"][0]

    assert TRACK_FIELDS <= set(item)
    assert "customer" not in item
    assert item["id"] == service_request.pk
    assert item["type_of_request"] == "Maintenance"
    assert item["status"] == "Pending"


@STAFF
def test_staff_track_shows_only_their_own_requests(request, user_fixture, client_fixture, customer):
    client = request.getfixturevalue(client_fixture)
    ServiceRequestFactory(customer=customer)
    own = ServiceRequestFactory(customer=request.getfixturevalue(user_fixture))

    data = client.get(TRACK).json()["data"]

    assert [item["id"] for item in data] == [own.pk]


def test_track_with_no_requests_is_an_empty_page(customer_api):
    body = customer_api.get(TRACK).json()
    assert body["data"] == []
    assert body["pagination"]["count"] == 0
    assert body["pagination"]["total_pages"] == 1


def test_track_is_paginated_20_by_default(customer_api, customer):
    requests_at(customer, *range(25))

    body = customer_api.get(TRACK).json()

    assert len(body["data"]) == 20
    assert body["pagination"]["count"] == 25
    assert body["pagination"]["total_pages"] == 2
    assert body["pagination"]["next"].endswith("/api/track/?page=2")
    assert body["pagination"]["previous"] is None


def test_track_pages_follow_each_other(customer_api, customer):
    created = requests_at(customer, *range(5))  # created[0] is the newest

    first = customer_api.get(TRACK, {"page_size": 2}).json()
    second = customer_api.get(TRACK, {"page_size": 2, "page": 2}).json()
    last = customer_api.get(TRACK, {"page_size": 2, "page": 3}).json()

    ids = [item["id"] for page in (first, second, last) for item in page["data"]]
    assert ids == [r.pk for r in created]
    assert second["pagination"]["page"] == 2
    assert second["pagination"]["previous"] is not None
    assert last["pagination"]["next"] is None
    assert first["pagination"]["total_pages"] == 3


def test_track_page_size_is_capped_at_100(customer_api, customer):
    ServiceRequestFactory.create_batch(101, customer=customer)

    body = customer_api.get(TRACK, {"page_size": 500}).json()

    assert len(body["data"]) == 100
    assert body["pagination"]["page_size"] == 100
    assert body["pagination"]["count"] == 101
    assert body["pagination"]["total_pages"] == 2


@pytest.mark.parametrize("page", ["2", "99", "0", "-1", "abc"])
def test_track_page_out_of_range_is_404_envelope(customer_api, customer, page):
    ServiceRequestFactory(customer=customer)
    error_details(customer_api.get(TRACK, {"page": page}), 404)


def test_track_page_last_is_accepted(customer_api, customer):
    requests_at(customer, *range(3))
    body = customer_api.get(TRACK, {"page_size": 2, "page": "last"}).json()
    assert body["pagination"]["page"] == 2
    assert len(body["data"]) == 1


def test_track_filters_by_status(customer_api, customer):
    resolved = ServiceRequestFactory(customer=customer, status="Resolved", resolved_at=timezone.now())
    ServiceRequestFactory(customer=customer)

    data = customer_api.get(TRACK, {"status": "Resolved"}).json()["data"]

    assert [item["id"] for item in data] == [resolved.pk]


def test_track_refuses_an_unknown_status_filter(customer_api):
    details = error_details(customer_api.get(TRACK, {"status": "Done"}), 400)
    assert "status" in details


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_track_answers_405_to_unsafe_methods(customer_api, method):
    response = customer_api.request(method, TRACK, {})
    error_details(response, 405)
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("page_size", [1, 20])
def test_track_query_count_does_not_grow_with_page_size(customer_api, customer, django_assert_num_queries, page_size):
    for name in CATALOGUE:  # different request types, so a missing select_related would show
        ServiceRequestFactory.create_batch(3, customer=customer, request_type=RequestType.objects.get(name=name))

    # session, user, count, the page's ids, the page's rows.
    with django_assert_num_queries(5):
        response = customer_api.get(TRACK, {"page_size": page_size})

    assert len(response.json()["data"]) == page_size


# --- GET /api/track/<id>/ ----------------------------------------------------------------


def test_anonymous_cannot_read_a_request(api, customer):
    service_request = ServiceRequestFactory(customer=customer)
    response = api.get(track_url(service_request.pk))
    error_details(response, 401)
    assert response["WWW-Authenticate"]


def test_owner_reads_their_request(customer_api, customer):
    resolved_at = timezone.now()
    service_request = ServiceRequestFactory(
        customer=customer,
        request_type=RequestType.objects.get(name="Gas Leak"),
        details="Smell of gas in the kitchen",
        status="Resolved",
        resolved_at=resolved_at,
        resolution_details="Valve replaced",
    )

    data = success_data(customer_api.get(track_url(service_request.pk)))

    assert TRACK_FIELDS <= set(data)
    assert "customer" not in data
    assert data["id"] == service_request.pk
    assert data["type_of_request"] == "Gas Leak"
    assert data["details"] == "Smell of gas in the kitchen"
    assert data["status"] == "Resolved"
    assert data["resolution_details"] == "Valve replaced"
    assert data["resolved_at"] is not None
    assert data["submitted_at"] is not None
    assert data["updated_at"] is not None


def test_other_customer_gets_404_for_someone_elses_request(other_customer_api, customer):
    service_request = ServiceRequestFactory(customer=customer)

    details = error_details(other_customer_api.get(track_url(service_request.pk)), 404)

    assert details == {}


def test_someone_elses_request_looks_like_a_missing_one(other_customer_api, customer):
    service_request = ServiceRequestFactory(customer=customer)

    theirs = other_customer_api.get(track_url(service_request.pk))
    missing = other_customer_api.get(track_url(service_request.pk + 1000))

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


@pytest.mark.parametrize("client_fixture", ["agent_api", "admin_api"])
def test_staff_track_detail_is_only_their_own(request, client_fixture, customer):
    service_request = ServiceRequestFactory(customer=customer)
    error_details(request.getfixturevalue(client_fixture).get(track_url(service_request.pk)), 404)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_track_detail_answers_405_to_unsafe_methods(customer_api, customer, method):
    service_request = ServiceRequestFactory(customer=customer, details="Original")

    response = customer_api.request(method, track_url(service_request.pk), {"details": "Changed"})

    error_details(response, 405)
    assert "GET" in response["Allow"]
    service_request.refresh_from_db()
    assert service_request.details == "Original"


# --- GET /api/request-types/ -------------------------------------------------------------


def test_request_types_are_public_and_in_catalogue_order(api):
    data = success_data(api.get(REQUEST_TYPES))

    assert [item["name"] for item in data] == CATALOGUE
    assert set(data[0]) == {"name", "code", "description", "is_emergency", "target_resolution_hours", "attributes"}
    emergencies = {item["name"] for item in data if item["is_emergency"]}
    assert emergencies == {"Gas Leak", "Carbon Monoxide"}


def test_request_types_are_the_same_for_logged_in_users(api, customer_api):
    assert customer_api.get(REQUEST_TYPES).json() == api.get(REQUEST_TYPES).json()


def test_inactive_request_types_are_not_listed(api):
    RequestType.objects.filter(name="Other").update(is_active=False)
    names = [item["name"] for item in success_data(api.get(REQUEST_TYPES))]
    assert "Other" not in names
    assert len(names) == len(CATALOGUE) - 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_request_types_are_read_only(customer_api, method):
    response = customer_api.request(method, REQUEST_TYPES, {"name": "Free Gas"})
    error_details(response, 405)
    assert not RequestType.objects.filter(name="Free Gas").exists()


def test_request_types_use_two_queries(api, django_assert_num_queries):
    # The types, then all their questions at once.
    with django_assert_num_queries(2):
        assert api.get(REQUEST_TYPES).status_code == 200
