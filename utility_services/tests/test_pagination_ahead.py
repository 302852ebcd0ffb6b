"""Lists read one id past the page: a page that ends the list needs no COUNT, a long list counts a window."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db
LIST = "/api/admin/requests/"


def get(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200, response.content
    counts = [query for query in queries if "COUNT(" in query["sql"].upper()]
    return response.json(), len(counts)


def test_a_page_that_ends_the_list_is_its_own_count(agent_api):
    ServiceRequestFactory.create_batch(5)

    first, first_counts = get(agent_api, page_size=5)
    last, last_counts = get(agent_api, page_size=2, page=3)

    assert (first["pagination"]["count"], first["pagination"]["count_is_exact"], first_counts) == (5, True, 0)
    assert first["pagination"]["next"] is None
    assert (last["pagination"]["count"], last["pagination"]["total_pages"], last_counts) == (5, 3, 0)
    assert len(last["data"]) == 1


def test_a_long_list_counts_only_a_window_past_the_page(agent_api, settings):
    settings.PAGINATION_COUNT_AHEAD = 5
    ServiceRequestFactory.create_batch(12)

    first, counts = get(agent_api, page_size=2)
    near_the_end, _ = get(agent_api, page_size=2, page=5)

    assert counts == 1
    assert (first["pagination"]["count"], first["pagination"]["count_is_exact"]) == (5, False)
    assert first["pagination"]["total_pages"] == 3
    assert "page=2" in first["pagination"]["next"]
    # Further on, the window moves with the page: here it reaches the end, so the count is exact.
    assert (near_the_end["pagination"]["count"], near_the_end["pagination"]["count_is_exact"]) == (12, True)
    assert near_the_end["pagination"]["total_pages"] == 6


def test_the_last_page_and_past_the_end(agent_api):
    ServiceRequestFactory.create_batch(5)

    last, _ = get(agent_api, page_size=2, page="last")

    assert (last["pagination"]["page"], len(last["data"])) == (3, 1)
    assert agent_api.get(LIST, {"page_size": 2, "page": 4}).status_code == 404
    assert agent_api.get(LIST, {"page": "0"}).status_code == 404
    assert agent_api.get(LIST, {"page": "two"}).status_code == 404
