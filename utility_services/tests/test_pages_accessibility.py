"""Every page: one h1, <main>, labelled controls, the emergency number.

Through the real login form, session and CSRF. Moved from test_pages.py (split by subject).
"""

import pytest

from testing.factories import request_in
from testing.page_client import PageClient
from testing.pages import (
    PUBLIC_NOTE,
    logged_in,
    png,
    type_id,
)
from utility_services import services
from utility_services.models import RequestType

pytestmark = pytest.mark.django_db


# --- every page: one h1, <main>, labelled controls, the emergency number -------------------------


@pytest.fixture
def world(customer, agent):
    """A customer with a request of each kind the pages show differently."""
    pending = request_in("Pending", customer=customer, assignee=agent)
    services.service_request_attach(acting_user=customer, service_request=pending, files=[png()])
    services.service_request_add_note(acting_user=agent, service_request=pending, body=PUBLIC_NOTE, is_internal=False)
    emergency = services.service_request_submit(
        customer=customer, request_type=RequestType.objects.get(name="Gas Leak"), details="Smell of gas"
    )
    resolved = request_in("Resolved", customer=customer)
    return {"pending": pending, "emergency": emergency, "resolved": resolved}


PAGES = {
    "home-anonymous": (None, "/", 200),
    "home": ("customer", "/", 200),
    "my-requests": ("customer", "/requests/", 200),
    "my-requests-filtered": ("customer", "/requests/?status=Pending&status=Resolved", 200),
    "choose-type": ("customer", "/requests/new/", 200),
    "details-form": ("customer", "/requests/new/{Maintenance}/", 200),
    "details-form-emergency": ("customer", "/requests/new/{Gas Leak}/", 200),
    "detail-pending": ("customer", "/requests/{pending}/", 200),
    "detail-emergency": ("customer", "/requests/{emergency}/", 200),
    "detail-resolved": ("customer", "/requests/{resolved}/", 200),
    "not-found": ("customer", "/requests/999999/", 404),
    "forbidden": ("customer", "/staff/", 403),
    "queue": ("agent", "/staff/", 200),
    "queue-filtered": ("agent", "/staff/?status=Pending&overdue=false&search=gas", 200),
    "staff-detail": ("agent", "/staff/requests/{pending}/", 200),
    "staff-detail-emergency": ("admin_user", "/staff/requests/{emergency}/", 200),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_one_h1_main_labels_and_the_emergency_number(request, settings, world, name):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    user, path, status = PAGES[name]
    ids = {key: sr.pk for key, sr in world.items()} | {n: type_id(n) for n in ("Maintenance", "Gas Leak")}
    browser = logged_in(request.getfixturevalue(user)) if user else PageClient()

    page = browser.page(path.format(**ids), status=status)

    assert page.structure_problems() == []
