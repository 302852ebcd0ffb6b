"""Lists count at most PAGINATION_COUNT_LIMIT rows, so a page costs the same at any scale."""

import pytest

from testing.factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


def test_count_stops_at_the_limit_and_says_it_is_not_exact(agent_api, settings):
    settings.PAGINATION_COUNT_LIMIT = 3
    ServiceRequestFactory.create_batch(5)

    body = agent_api.get("/api/admin/requests/", {"page_size": 2}).json()

    assert body["pagination"]["count"] == 3
    assert body["pagination"]["count_is_exact"] is False
    assert body["pagination"]["total_pages"] == 2
    assert len(body["data"]) == 2


def test_count_is_exact_under_the_limit(agent_api, settings):
    settings.PAGINATION_COUNT_LIMIT = 5
    ServiceRequestFactory.create_batch(5)

    pagination = agent_api.get("/api/admin/requests/").json()["pagination"]

    assert (pagination["count"], pagination["count_is_exact"]) == (5, True)
