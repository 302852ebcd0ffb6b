"""Personal data is never cached, and internal staff actions do not move what the customer sees."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from testing.factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def no_store(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_every_logged_in_api_answer_is_private_and_not_stored(customer, customer_api, agent_api, admin_api, api):
    mine = ServiceRequestFactory(customer=customer)
    answers = [
        customer_api.get("/accounts/api/account/"),
        customer_api.get("/api/track/"),
        customer_api.get(f"/api/track/{mine.pk}/"),
        customer_api.post(f"/api/track/{mine.pk}/comments/", {"body": "Gate code 1234"}),
        customer_api.get("/api/track/999999/"),  # errors too
        agent_api.get("/api/admin/requests/"),
        agent_api.get(f"/api/admin/requests/{mine.pk}/"),
        agent_api.get("/api/admin/requests/export/"),
        admin_api.get("/accounts/api/admin/users/"),
        api.post("/accounts/api/login/", {"username": customer.username, "password": "Sturdy-Test-Passw0rd!"}),
    ]
    assert [response.status_code for response in answers] == [200, 200, 200, 201, 404, 200, 200, 200, 200, 200]
    assert all(no_store(response) for response in answers), [r.get("Cache-Control") for r in answers]


def test_every_logged_in_page_is_private_and_not_stored(customer, agent):
    mine = ServiceRequestFactory(customer=customer)
    portal, console = Client(), Client()
    portal.force_login(customer)
    console.force_login(agent)
    pages = [
        portal.get("/"),
        portal.get("/requests/"),
        portal.get(f"/requests/{mine.pk}/"),
        portal.get("/accounts/profile/"),
        console.get("/staff/"),
        console.get(f"/staff/requests/{mine.pk}/"),
        console.get(f"/admin/utility_services/servicerequest/{mine.pk}/change/"),
    ]
    assert [page.status_code for page in pages] == [200] * 7
    assert all(no_store(page) for page in pages)


def test_public_answers_to_visitors_keep_their_default_caching(api, client):
    assert not no_store(api.get("/api/request-types/"))
    assert not no_store(client.get("/"))


@pytest.fixture
def watched(customer, customer_api, agent, agent_api):
    """A request, and a reader of what its customer and its staff see (body and ETag)."""
    service_request = ServiceRequestFactory(customer=customer)

    def seen():
        mine = customer_api.get(f"/api/track/{service_request.pk}/")
        staff = agent_api.get(f"/api/admin/requests/{service_request.pk}/")
        return (mine.json()["data"], mine["ETag"]), staff["ETag"]

    return service_request, seen


def internal_note(agent_api, pk):
    return agent_api.post(f"/api/admin/requests/{pk}/notes/", {"body": "Meter recalled", "is_internal": True})


def internal_file(agent_api, pk):
    upload = {"files": [SimpleUploadedFile("survey.pdf", PDF)], "is_internal": "true"}
    return agent_api.post(f"/api/admin/requests/{pk}/attachments/", upload, content_type=MULTIPART_CONTENT)


def priority(agent_api, pk):
    return agent_api.patch(f"/api/admin/requests/{pk}/", {"priority": "High"})


def assignee(agent_api, pk):
    return agent_api.patch(f"/api/admin/requests/{pk}/", {"assignee": agent_api.user.pk})


@pytest.mark.parametrize("action", [internal_note, internal_file, priority, assignee])
def test_an_internal_staff_action_moves_the_staff_etag_but_not_what_the_customer_sees(watched, agent_api, action):
    service_request, seen = watched
    customer_before, staff_before = seen()

    assert action(agent_api, service_request.pk).status_code in (200, 201)

    customer_after, staff_after = seen()
    assert customer_after == customer_before  # every field, updated_at included, and the ETag
    assert staff_after != staff_before
    # A staff edit based on the old read is refused: staff ETags still see every change.
    stale = agent_api.patch(
        f"/api/admin/requests/{service_request.pk}/", {"details": "Edited"}, headers={"If-Match": staff_before}
    )
    assert stale.status_code == 412


def public_note(agent_api, pk):
    return agent_api.post(f"/api/admin/requests/{pk}/notes/", {"body": "Visit Tuesday", "is_internal": False})


def status_change(agent_api, pk):
    return agent_api.patch(f"/api/admin/requests/{pk}/", {"status": "In Progress"})


@pytest.mark.parametrize("action", [public_note, status_change])
def test_a_public_change_moves_both(watched, agent_api, action):
    service_request, seen = watched
    (customer_data, customer_etag), staff_etag = seen()

    assert action(agent_api, service_request.pk).status_code in (200, 201)

    (data_after, etag_after), staff_after = seen()
    assert data_after["updated_at"] > customer_data["updated_at"]
    assert (etag_after, staff_after) != (customer_etag, staff_etag) and etag_after != customer_etag
    assert staff_after != staff_etag
