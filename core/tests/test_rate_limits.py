"""Rate limits: credential entries per address across the API, the pages and the admin; writes per user."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from testing.api_client import ApiClient
from testing.factories import PASSWORD, ServiceRequestFactory
from utility_services.models import RequestEvent

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n-test-"


@pytest.fixture
def rate(settings):
    def set_rate(scope, value):
        settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, scope: value}

    return set_rate


def login_through(door: str, client: Client, username: str, password: str) -> int:
    if door == "api":
        return client.post(
            "/accounts/api/login/", {"username": username, "password": password}, content_type="application/json"
        ).status_code
    path = {"page": "/accounts/login/", "admin": "/admin/login/"}[door]
    return client.post(path, {"username": username, "password": password}).status_code


def test_login_attempts_share_one_counter_across_the_api_the_page_and_the_admin(customer, agent, rate):
    rate("login", "3/min")
    statuses = [
        login_through("api", Client(REMOTE_ADDR="198.51.100.1"), customer.username, PASSWORD),
        login_through("page", Client(REMOTE_ADDR="198.51.100.1"), "nobody", "wrong"),
        login_through("admin", Client(REMOTE_ADDR="198.51.100.1"), agent.username, PASSWORD),
    ]
    assert statuses == [200, 200, 302]

    for door in ("api", "page", "admin"):
        response_status = login_through(door, Client(REMOTE_ADDR="198.51.100.1"), agent.username, PASSWORD)
        assert response_status == 429, door
    api = Client(REMOTE_ADDR="198.51.100.1").post(
        "/accounts/api/login/", {"username": "x", "password": "y"}, content_type="application/json"
    )
    assert set(api.json()) == {"error", "details"} and int(api["Retry-After"]) > 0
    page = Client(REMOTE_ADDR="198.51.100.1").post("/admin/login/", {"username": "x", "password": "y"})
    assert "Too many attempts" in page.content.decode() and int(page["Retry-After"]) > 0
    # Another address has its own counter.
    assert login_through("page", Client(REMOTE_ADDR="198.51.100.2"), customer.username, PASSWORD) == 302


def registration(index: int) -> dict:
    return {
        "username": f"newbie{index}",
        "email": f"newbie{index}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "name": "New Bie",
        "phone_number": "+441632960000",
        "address": "1 Gas Street",
    }


def test_registration_shares_one_counter_between_the_api_and_the_page(rate):
    rate("register", "2/hour")
    client = Client()
    assert client.post("/accounts/api/register/", registration(1), content_type="application/json").status_code == 201
    assert client.post("/accounts/register/", registration(2)).status_code == 302
    api = client.post("/accounts/api/register/", registration(3), content_type="application/json")
    page = client.post("/accounts/register/", registration(4))
    assert (api.status_code, page.status_code) == (429, 429)
    assert "throttled" in api.json()["error"].lower()


def test_comments_are_limited_per_customer_across_the_api_and_the_page(customer, customer_api, other_customer, rate):
    rate("comment", "2/hour")
    mine = ServiceRequestFactory(customer=customer)
    page = Client()
    page.force_login(customer)

    assert customer_api.post(f"/api/track/{mine.pk}/comments/", {"body": "One"}).status_code == 201
    assert page.post(f"/requests/{mine.pk}/", {"action": "comment", "comment-body": "Two"}).status_code == 302
    assert customer_api.post(f"/api/track/{mine.pk}/comments/", {"body": "Three"}).status_code == 429
    response = page.post(f"/requests/{mine.pk}/", {"action": "comment", "comment-body": "Four"})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert RequestEvent.objects.filter(service_request=mine, kind="comment").count() == 2
    # Reading is never limited, and another customer has their own count.
    assert customer_api.get(f"/api/track/{mine.pk}/").status_code == 200
    theirs = ServiceRequestFactory(customer=other_customer)
    other_api = ApiClient()
    other_api.login(other_customer)
    assert other_api.post(f"/api/track/{theirs.pk}/comments/", {"body": "Mine"}).status_code == 201


def test_staff_notes_are_limited_per_agent_across_the_api_and_the_console(agent, agent_api, rate):
    rate("note", "1/hour")
    service_request = ServiceRequestFactory()
    console = Client()
    console.force_login(agent)
    assert agent_api.post(f"/api/admin/requests/{service_request.pk}/notes/", {"body": "One"}).status_code == 201
    response = console.post(
        f"/staff/requests/{service_request.pk}/",
        {"action": "note", "note-body": "Two", "note-visibility": "internal"},
    )
    assert response.status_code == 429
    assert agent_api.post(f"/api/admin/requests/{service_request.pk}/notes/", {"body": "Three"}).status_code == 429


def test_attachments_are_limited_per_user_across_the_api_and_the_page(customer, customer_api, rate):
    rate("attachment", "1/hour")
    mine = ServiceRequestFactory(customer=customer)
    upload = {"files": [SimpleUploadedFile("meter.png", PNG)]}
    assert (
        customer_api.post(f"/api/track/{mine.pk}/attachments/", upload, content_type=MULTIPART_CONTENT).status_code
        == 201
    )
    page = Client()
    page.force_login(customer)
    response = page.post(
        f"/requests/{mine.pk}/", {"action": "attach", "attach-files": SimpleUploadedFile("meter.png", PNG)}
    )
    assert response.status_code == 429
    assert mine.attachments.count() == 1


def test_profile_updates_are_limited_per_user_across_the_api_and_the_page(customer, customer_api, rate):
    rate("profile", "2/hour")
    page = Client()
    page.force_login(customer)
    assert customer_api.patch("/accounts/api/account/", {"name": "Carol One"}).status_code == 200
    form = {"name": "Carol Two", "email": customer.email, "phone_number": "+441632960001", "address": "1 Road"}
    assert page.post("/accounts/profile/", form).status_code == 302
    assert customer_api.patch("/accounts/api/account/", {"name": "Carol Three"}).status_code == 429
    assert page.post("/accounts/profile/", {**form, "name": "Carol Four"}).status_code == 429
    customer.refresh_from_db()
    assert customer.name == "Carol Two"
    assert customer_api.get("/accounts/api/account/").status_code == 200
