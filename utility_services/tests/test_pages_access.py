"""Who may open which page of the customer portal and the staff console.

Through the real login form, session and CSRF. Moved from test_pages.py (split by subject).
"""

import pytest

from testing.factories import ServiceRequestFactory
from testing.page_client import PageClient, login_redirect
from testing.pages import (
    logged_in,
    portal_url,
    rows,
    staff_url,
    type_id,
    with_files,
)
from testing.service_requests import snapshot
from utility_services.models import Attachment

pytestmark = pytest.mark.django_db


# --- who may open which page ------------------------------------------------------------------

PORTAL_PAGES = [
    "/requests/",
    "/requests/?status=Pending",
    "/requests/new/",
    "/requests/new/{type}/",
    "/requests/{id}/",
    "/accounts/profile/",
    "/accounts/password/change/",
]
STAFF_PAGES = ["/staff/", "/staff/?status=Pending", "/staff/requests/{id}/"]


def fill(path: str, service_request) -> str:
    return path.format(id=service_request.pk, type=type_id("Maintenance"))


@pytest.mark.parametrize(
    ("path", "user"), [(p, "customer") for p in PORTAL_PAGES] + [(p, "agent") for p in STAFF_PAGES]
)
def test_anonymous_is_sent_to_the_login_page_and_back(request, mine, path, user):
    path = fill(path, mine)
    browser = PageClient()

    response = browser.get(path)

    assert (response.status_code, response["Location"]) == (302, login_redirect(path))
    assert mine.reference not in response.content.decode()
    assert browser.login(request.getfixturevalue(user), next_url=path)["Location"] == path
    assert browser.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/register/", "/accounts/password/reset/"])
def test_public_pages_open_without_a_login(path):
    assert PageClient().get(path).status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_customer_gets_403_on_staff_pages_and_never_the_data(customer_page, other_customer, path):
    theirs = ServiceRequestFactory(customer=other_customer, details="Dave's boiler is leaking")
    path = fill(path, theirs)

    response = customer_page.get(path)

    assert response.status_code == 403
    content = response.content.decode()
    assert "You do not have access to this page" in content
    for secret in (theirs.reference, theirs.details, other_customer.name, other_customer.email):
        assert secret not in content


@pytest.mark.parametrize(
    "data",
    [
        {"action": "update", "update-status": "Resolved", "update-priority": "4"},
        {"action": "note", "note-body": "I am staff now", "note-visibility": "public"},
    ],
)
def test_customer_posting_a_staff_action_gets_403_and_changes_nothing(customer_page, mine, data):
    before = snapshot(mine)

    response = customer_page.post(staff_url(mine), data)

    assert response.status_code == 403
    assert snapshot(mine) == before


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"action": "comment", "comment-body": "Not my request"},
        {"action": "cancel", "cancel-reason": ""},
        {"action": "attach", "attach-files": "meter.png"},
    ],
    ids=["view", "comment", "cancel", "attach"],
)
def test_another_customers_request_is_404_for_every_page_and_action(other_customer, mine, data):
    intruder = logged_in(other_customer)
    before = snapshot(mine)

    response = intruder.get(portal_url(mine)) if data is None else intruder.post(portal_url(mine), with_files(data))

    assert response.status_code == 404
    assert mine.reference not in response.content.decode()
    assert "Page not found" in response.content.decode()
    assert snapshot(mine) == before
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("user", ["agent", "admin_user"])
def test_staff_open_the_queue_and_any_request(request, mine, user):
    staff = logged_in(request.getfixturevalue(user))

    assert mine.reference in rows(staff.page("/staff/"))
    detail = staff.page(staff_url(mine))
    assert mine.details in detail.text()
    assert mine.customer.email in detail.text()


def test_customer_list_shows_only_their_own_requests(customer_page, mine, other_customer):
    theirs = ServiceRequestFactory(customer=other_customer)

    listed = rows(customer_page.page("/requests/"))

    assert listed == [mine.reference]
    assert theirs.reference not in customer_page.page("/requests/").html
