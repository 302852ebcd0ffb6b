"""Staff search: word-prefix matching on the database's full-text engine, kept up to date by the services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.factories import ServiceRequestFactory, UserFactory
from testing.marks import SEARCH_DB_MARKS, search_db
from utility_services.models import RequestSearchDocument
from utility_services.search import words_of

pytestmark = SEARCH_DB_MARKS
QUEUE = "/api/admin/requests/"
# How each engine's full-text lookup reads in SQL (search.Matches).
FULL_TEXT_OPERATORS = {"mysql": "AGAINST", "sqlite": "_fts", "postgresql": "to_tsquery"}


@pytest.fixture(autouse=True)
def _full_text_plan(settings):
    """Take every word the full-text index may serve there (small data would always walk the list)."""
    settings.SEARCH_FULLTEXT_COST = 0


def found(client, query) -> set[int]:
    response = client.get(QUEUE, {"search": query})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["data"]}


def test_words_are_ascii_lower_case_without_accents_or_punctuation():
    assert words_of("José O'Brien <Jo.Smith@Example.IO> SR-7K3M-9Q2X a") == [
        "jose",
        "brien",
        "jo",
        "smith",
        "example",
        "io",
        "sr",
        "7k3m",
        "9q2x",
    ]


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("boil", True),  # a word beginning
        ("BOILER pressure", True),  # several words, any case: all must match
        ("oiler", False),  # not a word beginning
        ("boiler leak", False),  # one word missing
        ("zzzz", False),
    ],
)
def test_search_matches_word_beginnings_of_details(agent_api, query, matches):
    request = ServiceRequestFactory(details="Boiler pressure drops every night")
    ServiceRequestFactory(details="Meter reading")
    assert found(agent_api, query) == ({request.pk} if matches else set())


def test_search_finds_reference_customer_id_email_and_name(agent_api):
    customer = UserFactory(name="Zoë Quartermaine", email="zq@gasmail.example")
    request = ServiceRequestFactory(customer=customer)
    ServiceRequestFactory()
    for query in (request.reference, request.reference.lower(), customer.customer_id, "zq@gasm", "zoe quart"):
        assert found(agent_api, query) == {request.pk}, query


def test_words_ending_in_z_and_9_are_found(agent_api):
    request = ServiceRequestFactory(details="quiz 2029")
    assert found(agent_api, "quiz") == {request.pk}
    assert found(agent_api, "2029") == {request.pk}
    assert found(agent_api, "zz") == set()


def test_customer_rename_is_searchable_at_once(customer_api, customer, agent_api):
    # Fixed details: a random sentence may itself contain "customer".
    request = ServiceRequestFactory(customer=customer, details="Boiler pressure low")

    response = customer_api.patch("/accounts/api/account/", {"name": "Henrietta Ploughwright"})

    assert response.status_code == 200
    assert found(agent_api, "ploughwright") == {request.pk}
    assert found(agent_api, "customer") == set()  # the old surname, "Carol Customer"


def test_staff_edit_of_details_is_searchable_at_once(agent_api):
    request = ServiceRequestFactory(details="Original words")

    agent_api.patch(f"{QUEUE}{request.pk}/", {"details": "Replacement sentence"})

    assert found(agent_api, "replacement") == {request.pk}
    assert found(agent_api, "original") == set()


def test_submission_indexes_the_request(customer_api, agent_api):
    response = customer_api.post("/api/submit/", {"type_of_request": "Maintenance", "details": "Flue blocked by nest"})
    request_id = response.json()["data"]["id"]
    assert found(agent_api, "flue nest") == {request_id}
    assert " xflue " in RequestSearchDocument.objects.get(service_request_id=request_id).body


def test_common_words_are_checked_row_by_row_and_rare_ones_by_the_index(agent_api, settings):
    settings.SEARCH_DENSE_MATCHES = 3  # "boiler" (six requests) is common here, "flue" (one) rare
    boilers = [ServiceRequestFactory(details=f"Boiler fault {n}") for n in range(5)]
    flue = ServiceRequestFactory(details="Boiler flue blocked")
    ServiceRequestFactory(details="Flue only")

    assert found(agent_api, "boiler") == {r.pk for r in boilers} | {flue.pk}  # walked in list order
    assert found(agent_api, "boil flue") == {flue.pk}  # the index finds "flue", then "boil" is checked
    assert found(agent_api, "boiler zzz") == set()


def test_a_burst_of_alike_new_reports_does_not_make_an_old_common_word_look_rare(agent_api, settings):
    """The sample spans the whole table: the newest reports alone would hide that "boiler" is everywhere."""
    settings.SEARCH_DENSE_MATCHES, settings.SEARCH_SAMPLE, settings.SEARCH_SAMPLE_SLICES = 5, 8, 4
    boilers = [ServiceRequestFactory(details=f"Boiler fault {n}") for n in range(12)]
    for n in range(12):  # the burst: newer than every boiler report
        ServiceRequestFactory(details=f"Smell of gas in the street {n}")

    with CaptureQueriesContext(connection) as queries:
        assert found(agent_api, "boiler") == {r.pk for r in boilers}

    # The page's query (not the estimate's COUNTs) checks the documents row by row.
    sql = [q["sql"] for q in queries.captured_queries]
    listing = [query for query in sql if "requestsearchdocument" in query.lower() and "COUNT" not in query]
    assert listing, sql
    assert not any(FULL_TEXT_OPERATORS[connection.vendor] in query for query in listing), listing


# --- moved from test_hardening.py (rules found in review) ---------------------------------------


@search_db
@pytest.mark.parametrize(("dense_matches", "cost"), [(5000, 0), (0, 8)], ids=["full-text-plan", "row-by-row-plan"])
@pytest.mark.parametrize("query", ["boil boiler", "leak leak", "BOILER boil"])
def test_repeated_or_prefix_words_still_find_the_request(agent_api, settings, query, dense_matches, cost):
    settings.SEARCH_DENSE_MATCHES, settings.SEARCH_FULLTEXT_COST = dense_matches, cost
    request = ServiceRequestFactory(details="Boiler leak in the hall")
    assert [item["id"] for item in agent_api.get(QUEUE, {"search": query}).json()["data"]] == [request.pk]


@pytest.mark.parametrize("query", ["x", "Дмитрий", "!!"])
def test_a_query_without_a_searchable_word_matches_nothing(agent_api, query):
    ServiceRequestFactory()
    assert agent_api.get(QUEUE, {"search": query}).json()["data"] == []
