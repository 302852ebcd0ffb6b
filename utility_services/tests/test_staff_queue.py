"""The staff queue through HTTP: filters, search, ordering, CSV export and statistics.

GET /api/admin/requests/, /api/admin/requests/export/ and /api/admin/stats/ (staff only),
and the customer's GET /api/track/?status=...
"""

import csv
import io
from datetime import timedelta
from types import SimpleNamespace
from unittest.mock import ANY

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from testing.assertions import error_details, success_data
from testing.factories import ServiceRequestFactory, UserFactory
from testing.marks import COMMITTED_DB
from testing.service_requests import INVALID_FILTERS
from utility_services import reports
from utility_services.filters import StaffRequestFilter
from utility_services.models import Priority, RequestType, ServiceRequest
from utility_services.tasks import snapshot_request_stats

pytestmark = pytest.mark.django_db

LIST = "/api/admin/requests/"
EXPORT = "/api/admin/requests/export/"
STATS = "/api/admin/stats/"
TRACK = "/api/track/"
STAFF_CLIENTS = ["agent_api", "admin_api"]
STATUSES = ["Pending", "In Progress", "On Hold", "Resolved", "Closed", "Cancelled"]


def listed(client, params=None, url=LIST) -> list[int]:
    """Ids of every request the list shows for `params`, in order (one page of up to 100)."""
    response = client.get(url, {"page_size": 100, **(params or {})})
    assert response.status_code == 200, response.content
    assert response.json()["pagination"]["count"] == len(response.json()["data"])
    return [item["id"] for item in response.json()["data"]]


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200, getattr(response, "content", response)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def csv_records(response) -> list[dict]:
    header, *rows = csv_table(response)
    return [dict(zip(header, row, strict=True)) for row in rows]


def make_request(*, customer, type_name="Maintenance", status="Pending", priority=Priority.NORMAL, **fields):
    """Create a request whose timestamps agree with `status` (unless given)."""
    submitted_at = fields.pop("submitted_at", timezone.now())
    stamps = {
        "Resolved": {"resolved_at": submitted_at + timedelta(hours=1)},
        "Closed": {"resolved_at": submitted_at + timedelta(hours=1), "closed_at": submitted_at + timedelta(hours=2)},
        "Cancelled": {"cancelled_at": submitted_at + timedelta(hours=1)},
    }
    return ServiceRequestFactory(
        customer=customer,
        request_type=RequestType.objects.get(name=type_name),
        status=status,
        priority=priority,
        submitted_at=submitted_at,
        **{**stamps.get(status, {}), **fields},
    )


# --- the queue's filters ---------------------------------------------------------------------


@pytest.fixture
def world(request_type_catalogue, customer, other_customer, agent):
    """Seven requests that differ in every filtered attribute; times are relative to a whole-second `now`."""
    now = timezone.now().replace(microsecond=0)
    agent2 = UserFactory(username="agent2", name="Ben Engineer", role=User.Role.AGENT)

    def hours(n):
        return now + timedelta(hours=n)

    carol, dave = customer, other_customer
    specs = {
        "pending_low": dict(customer=carol, priority=Priority.LOW, assignee=agent, submitted_at=hours(-50),
                            due_at=hours(100), details="Meter cupboard door is stuck"),
        "progress_high": dict(customer=dave, type_name="New Connection", status="In Progress", priority=Priority.HIGH,
                              assignee=agent2, submitted_at=hours(-40), due_at=hours(-1),
                              details="Connection for the new extension"),
        "hold_normal": dict(customer=carol, type_name="Billing Query", status="On Hold", submitted_at=hours(-30),
                            due_at=hours(-2), details="Waiting for the landlord's signature"),
        "resolved": dict(customer=dave, status="Resolved", assignee=agent, submitted_at=hours(-60),
                         due_at=hours(-10), details="Boiler pressure dropped"),
        "closed": dict(customer=carol, type_name="Meter Reading", status="Closed", priority=Priority.LOW,
                       assignee=agent2, submitted_at=hours(-70), due_at=hours(-30),
                       details="Estimated reading was wrong"),
        "cancelled": dict(customer=dave, type_name="Other", status="Cancelled", submitted_at=hours(-20),
                          due_at=hours(-5), details="Raised by mistake"),
        "emergency": dict(customer=carol, type_name="Gas Leak", priority=Priority.EMERGENCY, submitted_at=hours(-1),
                          due_at=hours(3), details="Strong smell of gas in the hallway"),
    }  # fmt: skip
    requests = {key: make_request(**spec) for key, spec in specs.items()}
    return SimpleNamespace(now=now, hours=hours, agent=agent, agent2=agent2, carol=carol, dave=dave, r=requests)


ALL = {"pending_low", "progress_high", "hold_normal", "resolved", "closed", "cancelled", "emergency"}
FILTER_CASES = [
    pytest.param(lambda w: {}, ALL, id="no-filter"),
    pytest.param(lambda w: {"status": "Cancelled"}, {"cancelled"}, id="status"),
    pytest.param(
        lambda w: {"status": ["Pending", "On Hold"]}, {"pending_low", "hold_normal", "emergency"}, id="status-repeated"
    ),
    pytest.param(lambda w: {"type_of_request": "Maintenance"}, {"pending_low", "resolved"}, id="type"),
    pytest.param(lambda w: {"priority": "Low"}, {"pending_low", "closed"}, id="priority"),
    pytest.param(lambda w: {"priority": ["High", "Emergency"]}, {"progress_high", "emergency"}, id="priority-repeated"),
    pytest.param(lambda w: {"assignee": w.agent2.pk}, {"progress_high", "closed"}, id="assignee-id"),
    pytest.param(lambda w: {"assignee": "me"}, {"pending_low", "resolved"}, id="assignee-me"),
    pytest.param(lambda w: {"assignee": "none"}, {"hold_normal", "cancelled", "emergency"}, id="assignee-none"),
    pytest.param(lambda w: {"overdue": "true"}, {"progress_high", "hold_normal"}, id="overdue-true"),
    pytest.param(lambda w: {"overdue": "false"}, ALL - {"progress_high", "hold_normal"}, id="overdue-false"),
    pytest.param(lambda w: {"customer": w.dave.pk}, {"progress_high", "resolved", "cancelled"}, id="customer-user-id"),
    pytest.param(
        lambda w: {"customer": w.dave.customer_id}, {"progress_high", "resolved", "cancelled"}, id="customer-gu-id"
    ),
    pytest.param(
        lambda w: {"customer": w.dave.customer_id.lower()},
        {"progress_high", "resolved", "cancelled"},
        id="customer-gu-id-any-case",
    ),
    pytest.param(lambda w: {"customer": "GU-NOPE-NOPE"}, set(), id="customer-unknown"),
    pytest.param(
        lambda w: {"submitted_after": w.hours(-40).isoformat()},
        {"progress_high", "hold_normal", "cancelled", "emergency"},
        id="submitted-after-inclusive",
    ),
    pytest.param(
        lambda w: {"submitted_before": w.hours(-40).isoformat()},
        {"pending_low", "resolved", "closed"},
        id="submitted-before-exclusive",
    ),
    pytest.param(
        lambda w: {"submitted_after": w.hours(-60).isoformat(), "submitted_before": w.hours(-30).isoformat()},
        {"pending_low", "progress_high", "resolved"},
        id="submitted-range",
    ),
    pytest.param(lambda w: {"search": w.r["closed"].reference.lower()}, {"closed"}, id="search-reference"),
    pytest.param(lambda w: {"search": "LANDLORD"}, {"hold_normal"}, id="search-details", marks=COMMITTED_DB),
    pytest.param(
        lambda w: {"search": "dav oth"},
        {"progress_high", "resolved", "cancelled"},
        id="search-name",
        marks=COMMITTED_DB,
    ),
    pytest.param(
        lambda w: {"search": w.carol.email.upper()},
        {"pending_low", "hold_normal", "closed", "emergency"},
        id="search-email",
    ),
    pytest.param(
        lambda w: {"search": w.dave.customer_id}, {"progress_high", "resolved", "cancelled"}, id="search-customer-id"
    ),
    pytest.param(lambda w: {"search": "Ben Engineer"}, set(), id="search-ignores-assignee"),
    pytest.param(
        lambda w: {"status": "Pending", "assignee": "none", "customer": w.carol.pk}, {"emergency"}, id="combined"
    ),
]


def keys(world, ids) -> set[str]:
    by_id = {request.pk: key for key, request in world.r.items()}
    return {by_id[request_id] for request_id in ids}


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_queue_filter_returns_exactly_the_matching_requests(agent_api, world, params, expected):
    ids = listed(agent_api, params(world))

    assert len(ids) == len(set(ids))
    assert keys(world, ids) == expected


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_csv_export_applies_the_same_filter(agent_api, world, params, expected):
    records = csv_records(agent_api.get(EXPORT, params(world)))

    references = {record["reference"] for record in records}
    assert len(records) == len(references)
    assert references == {world.r[key].reference for key in expected}


def test_assignee_me_means_the_caller(admin_api, admin_user, world):
    mine = make_request(customer=world.carol, assignee=admin_user)

    assert listed(admin_api, {"assignee": "me"}) == [mine.pk]


@pytest.mark.parametrize("url", [LIST, EXPORT, STATS])
@pytest.mark.parametrize(
    ("params", "field"), INVALID_FILTERS, ids=[f"{field}={params[field]!r:.12}" for params, field in INVALID_FILTERS]
)
def test_invalid_filter_value_is_400_naming_the_parameter(agent_api, url, params, field):
    ServiceRequestFactory()

    details = error_details(agent_api.get(url, params), 400)

    assert field in details
    assert details[field]


@pytest.mark.parametrize(
    ("params", "forms_built"),
    [
        ({}, 0),
        ({"page_size": 5, "ordering_unknown": "x"}, 0),
        ({"type_of_request": ""}, 1),
        ({"ordering": "due_at"}, 1),
    ],
    ids=["none", "not-a-filter", "empty-filter", "ordering"],
)
def test_the_filter_form_is_built_only_when_the_query_names_a_filter(agent_api, monkeypatch, params, forms_built):
    """core.api.filters.FilterBackend: no filter parameter, no form to build (a tenth of a list request)."""
    ServiceRequestFactory.create_batch(2)
    built = []
    real_init = StaffRequestFilter.__init__
    monkeypatch.setattr(
        StaffRequestFilter, "__init__", lambda self, *a, **kw: built.append(1) or real_init(self, *a, **kw)
    )

    assert len(listed(agent_api, params)) == 2
    assert len(built) == forms_built


def test_search_of_exactly_100_characters_is_accepted(agent_api):
    ServiceRequestFactory()
    assert listed(agent_api, {"search": "x" * 100}) == []


# --- ordering ----------------------------------------------------------------------------------


def test_default_order_is_highest_priority_first_then_newest(agent_api, customer):
    now = timezone.now()

    def at(hours_ago, priority=Priority.NORMAL):
        return make_request(customer=customer, priority=priority, submitted_at=now - timedelta(hours=hours_ago))

    old_emergency = at(240, Priority.EMERGENCY)
    new_normal = at(1)
    new_emergency = at(5, Priority.EMERGENCY)
    old_normal = at(48)
    high = at(100, Priority.HIGH)
    twin_a, twin_b = at(3), at(3)  # same submission time: the newer id first
    low = at(0, Priority.LOW)

    assert listed(agent_api) == [
        r.pk for r in (new_emergency, old_emergency, high, new_normal, twin_b, twin_a, old_normal, low)
    ]


# (priority, due in hours, submitted hours ago, updated minutes ago): each value is shared, so ties need the id.
ORDERING_ROWS = [
    (Priority.NORMAL, 2, 1, 3),
    (Priority.HIGH, 1, 3, 1),
    (Priority.NORMAL, 1, 2, 2),
    (Priority.LOW, 2, 3, 1),
    (Priority.HIGH, 3, 1, 3),
    (Priority.NORMAL, 3, 2, 2),
]


@pytest.fixture
def ordering_rows(customer):
    now = timezone.now().replace(microsecond=0)
    created = []
    for priority, due_in, submitted_ago, updated_ago in ORDERING_ROWS:
        service_request = make_request(
            customer=customer,
            priority=priority,
            submitted_at=now - timedelta(hours=submitted_ago),
            due_at=now + timedelta(hours=due_in),
        )
        # auto_now sets updated_at on save; update() writes it as given.
        ServiceRequest.objects.filter(pk=service_request.pk).update(updated_at=now - timedelta(minutes=updated_ago))
        created.append(ServiceRequest.objects.get(pk=service_request.pk))
    return created


@pytest.mark.parametrize(
    "ordering",
    [
        "priority",
        "-priority",
        "due_at",
        "-due_at",
        "submitted_at",
        "-submitted_at",
        "updated_at",
        "-updated_at",
        "-priority,due_at",
    ],
)
def test_each_ordering_sorts_by_its_fields_with_id_as_tiebreak(agent_api, ordering_rows, ordering):
    fields = ordering.split(",")

    def sort_key(request):
        key = []
        for field in fields:
            value = getattr(request, field.lstrip("-"))
            value = value.timestamp() if hasattr(value, "timestamp") else value
            key.append(-value if field.startswith("-") else value)
        key.append(-request.pk if fields[-1].startswith("-") else request.pk)
        return key

    expected = [request.pk for request in sorted(ordering_rows, key=sort_key)]
    default = listed(agent_api)
    assert expected != default, "the rows must tell this ordering apart from the default"

    assert listed(agent_api, {"ordering": ordering}) == expected


# --- CSV export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", STAFF_CLIENTS)
def test_export_is_a_csv_attachment_with_a_header_and_one_row_per_request(request, client_fixture, customer):
    client = request.getfixturevalue(client_fixture)
    requests = [make_request(customer=customer, details=f"Request number {n}") for n in range(25)]  # > one page

    response = client.get(EXPORT)

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].rstrip('"').endswith(".csv")
    header, *rows = csv_table(response)
    assert header[0] == "reference"
    assert {"reference", "status", "priority", "type_of_request", "customer_id", "details"} <= set(header)
    assert len(rows) == 25
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert sorted(record["reference"] for record in records) == sorted(r.reference for r in requests)
    first = next(record for record in records if record["reference"] == requests[0].reference)
    assert first["details"] == "Request number 0"
    assert first["customer_id"] == customer.customer_id
    assert first["status"] == "Pending"
    assert first["priority"] == "Normal"


def test_export_with_no_match_is_only_the_header(agent_api):
    ServiceRequestFactory()

    table = csv_table(agent_api.get(EXPORT, {"status": "Closed"}))

    assert len(table) == 1
    assert table[0][0] == "reference"


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_export_neutralises_cells_that_a_spreadsheet_would_run(agent_api, prefix):
    customer = UserFactory(name=f'{prefix}HYPERLINK("http://evil.test","x")')
    now = timezone.now()
    make_request(
        customer=customer,
        status="Resolved",
        details=f"{prefix}cmd|' /C calc'!A0",
        resolution_details=f"{prefix}SUM(1+1)",
        resolved_at=now,
    )

    [record] = csv_records(agent_api.get(EXPORT))

    assert record["customer_name"] == f'\'{prefix}HYPERLINK("http://evil.test","x")'
    assert record["details"] == f"'{prefix}cmd|' /C calc'!A0"
    assert record["resolution_details"] == f"'{prefix}SUM(1+1)"


def test_export_leaves_ordinary_cells_alone(agent_api):
    customer = UserFactory(name="Ann O'Neil-Smith")
    make_request(customer=customer, details="Pressure 2+2 = 4, email a@b.test")

    [record] = csv_records(agent_api.get(EXPORT))

    assert record["customer_name"] == "Ann O'Neil-Smith"
    assert record["details"] == "Pressure 2+2 = 4, email a@b.test"


# --- who may use the staff endpoints -----------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, EXPORT, STATS])
def test_customer_gets_403_and_anonymous_401(api, customer_api, customer, url):
    ServiceRequestFactory(customer=customer)

    error_details(customer_api.get(url), 403)
    error_details(api.get(url), 401)


# --- statistics -------------------------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", STAFF_CLIENTS)
def test_stats_count_by_status_type_priority_and_overdue(request, client_fixture, world):
    client = request.getfixturevalue(client_fixture)

    stats = success_data(client.get(STATS))

    assert stats["total"] == 7
    assert stats["by_status"] == {
        "Pending": 2,
        "In Progress": 1,
        "On Hold": 1,
        "Resolved": 1,
        "Closed": 1,
        "Cancelled": 1,
    }
    assert {name: n for name, n in stats["by_type"].items() if n} == {
        "Maintenance": 2,
        "New Connection": 1,
        "Billing Query": 1,
        "Meter Reading": 1,
        "Other": 1,
        "Gas Leak": 1,
    }
    assert stats["by_priority"] == {"Low": 2, "Normal": 3, "High": 1, "Emergency": 1}
    assert stats["overdue"] == 2


@pytest.mark.parametrize(
    ("hours_to_resolve", "median"),
    [
        pytest.param([], None, id="none-resolved"),
        pytest.param([7], 7.0, id="one"),
        pytest.param([10, 1, 3], 3.0, id="odd"),
        pytest.param([20, 1, 10, 3], 6.5, id="even"),
        pytest.param([0.5, 1], 0.75, id="even-fractional"),
    ],
)
def test_stats_median_hours_to_resolve(agent_api, customer, hours_to_resolve, median):
    now = timezone.now()
    for n, hours in enumerate(hours_to_resolve):
        submitted_at = now - timedelta(days=n + 1)
        # Closed requests were resolved too, so they count.
        status, extra = ("Closed", {"closed_at": now}) if n % 2 else ("Resolved", {})
        make_request(
            customer=customer,
            status=status,
            submitted_at=submitted_at,
            resolved_at=submitted_at + timedelta(hours=hours),
            **extra,
        )
    # Open and cancelled requests have no time to resolve, however long ago they came in.
    make_request(customer=customer, submitted_at=now - timedelta(days=90))
    make_request(customer=customer, status="Cancelled", submitted_at=now - timedelta(days=90))

    stats = success_data(agent_api.get(STATS))

    assert stats["median_hours_to_resolve"] == median
    assert stats["total"] == len(hours_to_resolve) + 2


def test_stats_are_restricted_to_the_submitted_range(agent_api, customer):
    start = timezone.now().replace(microsecond=0) - timedelta(days=30)

    def resolved(day, hours, **fields):
        submitted_at = start + timedelta(days=day)
        return make_request(
            customer=customer,
            status="Resolved",
            submitted_at=submitted_at,
            resolved_at=submitted_at + timedelta(hours=hours),
            **fields,
        )

    resolved(-1, 100)  # before the range
    resolved(0, 2, priority=Priority.HIGH)  # on the start: inside
    resolved(5, 4)
    resolved(9, 6, type_name="Billing Query")
    make_request(customer=customer, submitted_at=start + timedelta(days=9), due_at=start)  # overdue, inside
    resolved(10, 1000)  # on the end: outside
    make_request(customer=customer, submitted_at=start + timedelta(days=20), due_at=start)  # overdue, after
    window = {"submitted_after": start.isoformat(), "submitted_before": (start + timedelta(days=10)).isoformat()}

    stats = success_data(agent_api.get(STATS, window))

    assert stats["total"] == 4
    assert stats["by_status"]["Resolved"] == 3
    assert stats["by_status"]["Pending"] == 1
    assert {name: n for name, n in stats["by_type"].items() if n} == {"Maintenance": 3, "Billing Query": 1}
    assert stats["by_priority"] == {"Low": 0, "Normal": 3, "High": 1, "Emergency": 0}
    assert stats["overdue"] == 1
    assert stats["median_hours_to_resolve"] == 4.0


def test_stats_apply_the_other_queue_filters_too(agent_api, world):
    stats = success_data(agent_api.get(STATS, {"customer": world.dave.customer_id}))

    assert stats["total"] == 3
    assert stats["by_status"] == {
        "Pending": 0,
        "In Progress": 1,
        "On Hold": 0,
        "Resolved": 1,
        "Closed": 0,
        "Cancelled": 1,
    }
    assert stats["overdue"] == 1


# --- statistics over every request: the periodic job's snapshot ---------------------------------


def test_unfiltered_stats_serve_the_jobs_snapshot_and_say_when_it_was_taken(agent_api, world):
    taken = timezone.now()
    with time_machine.travel(taken, tick=False):
        assert snapshot_request_stats() == 7
    make_request(customer=world.carol)  # after the snapshot

    stats = success_data(agent_api.get(STATS))
    assert stats["total"] == 7
    assert stats["as_of"] == taken.isoformat().replace("+00:00", "Z")
    # An ordering selects every request too.
    assert success_data(agent_api.get(STATS, {"ordering": "-priority"}))["total"] == 7
    # Any filter is computed now, the one covering everything included.
    live = success_data(agent_api.get(STATS, {"submitted_after": "1900-01-01T00:00:00Z"}))
    assert live["total"] == 8
    assert live["as_of"] > stats["as_of"]


def test_unfiltered_stats_are_computed_now_without_a_snapshot_or_once_it_expired(agent_api, settings, world):
    settings.STATS_SNAPSHOT_MAX_AGE = timedelta(minutes=5)
    assert success_data(agent_api.get(STATS))["total"] == 7  # no beat: no snapshot
    snapshot_request_stats()
    make_request(customer=world.carol)
    assert success_data(agent_api.get(STATS))["total"] == 7

    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        assert success_data(agent_api.get(STATS))["total"] == 8


@pytest.mark.parametrize(("make_params", "expected"), [case for case in FILTER_CASES if case.id != "no-filter"])
def test_every_filter_bypasses_the_snapshot(agent_api, world, make_params, expected):
    snapshot = reports.snapshot_every_request_stats()
    cache.set(reports.EVERY_REQUEST_STATS_KEY, {**snapshot, "total": -1})  # a snapshot that cannot be the answer

    stats = success_data(agent_api.get(STATS, make_params(world)))

    assert stats["total"] == len(expected)


def test_an_empty_filter_selects_every_request_so_the_snapshot_answers(agent_api, world):
    snapshot_request_stats()
    make_request(customer=world.carol)

    stats = success_data(agent_api.get(STATS, {"type_of_request": "", "search": ""}))

    assert stats["total"] == 7


def test_a_malformed_filter_is_refused_even_when_a_snapshot_is_kept(agent_api, world):
    snapshot_request_stats()

    assert error_details(agent_api.get(STATS, {"overdue": "maybe"}), 400) == {"overdue": ANY}


def test_the_snapshot_job_is_scheduled_within_the_snapshots_lifetime(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["snapshot-request-stats"]

    assert entry["task"] == "utility_services.tasks.snapshot_request_stats"
    assert entry["schedule"] < settings.STATS_SNAPSHOT_MAX_AGE.total_seconds()


# --- query counts -------------------------------------------------------------------------------


def _queries_for(client, url, params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def _varied_requests(customers, assignees, count=25):
    types = list(RequestType.objects.all())
    for n in range(count):
        make_request(
            customer=customers[n % len(customers)],
            type_name=types[n % len(types)].name,
            assignee=assignees[n % len(assignees)],
        )


def test_staff_list_query_count_does_not_grow_with_page_size(agent_api, agent, admin_user):
    customers = UserFactory.create_batch(4)
    agents = [agent, admin_user, UserFactory(role=User.Role.AGENT), UserFactory(role=User.Role.AGENT)]
    _varied_requests(customers, agents)

    one, one_body = _queries_for(agent_api, LIST, {"page_size": 1})
    twenty, twenty_body = _queries_for(agent_api, LIST, {"page_size": 20})

    assert len(one_body["data"]) == 1
    assert len(twenty_body["data"]) == 20
    assert len({item["assignee"]["id"] for item in twenty_body["data"]}) == 4
    assert len({item["customer"]["id"] for item in twenty_body["data"]}) == 4
    assert one == twenty


def test_customer_track_query_count_does_not_grow_with_page_size(customer_api, customer, agent, admin_user):
    _varied_requests([customer], [agent, admin_user, UserFactory(role=User.Role.AGENT)])

    one, one_body = _queries_for(customer_api, TRACK, {"page_size": 1})
    twenty, twenty_body = _queries_for(customer_api, TRACK, {"page_size": 20})

    assert len(one_body["data"]) == 1
    assert len(twenty_body["data"]) == 20
    assert one == twenty


# --- the customer's own list -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["Pending"], {"pending"}),
        (["Pending", "Resolved"], {"pending", "resolved"}),
        (["In Progress", "On Hold", "Cancelled"], {"on_hold", "cancelled"}),
        (["Closed"], set()),
    ],
)
def test_customer_track_filters_own_requests_by_status(customer_api, customer, other_customer, statuses, expected):
    own = {
        "pending": make_request(customer=customer),
        "on_hold": make_request(customer=customer, status="On Hold"),
        "resolved": make_request(customer=customer, status="Resolved"),
        "cancelled": make_request(customer=customer, status="Cancelled"),
    }
    for status in STATUSES:
        make_request(customer=other_customer, status=status)

    data = customer_api.get(TRACK, {"status": statuses}).json()["data"]

    assert {item["id"] for item in data} == {own[key].pk for key in expected}
    assert all(item["status"] in statuses for item in data)


@pytest.mark.parametrize("statuses", [["Bogus"], ["Pending", "pending"]])
def test_customer_track_refuses_an_unknown_status(customer_api, customer, statuses):
    make_request(customer=customer)

    assert "status" in error_details(customer_api.get(TRACK, {"status": statuses}), 400)


# --- moved from test_hardening.py (rules found in review) ---------------------------------------
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
