"""The Django admin shows emergency records read-only; engineers cannot log in to it."""

import pytest

from emergencies.models import EmergencyEvent
from testing.admin_client import AdminSiteClient
from testing.factories import report

pytestmark = pytest.mark.django_db


def _site(user):
    site = AdminSiteClient()
    response = site.login(user)
    assert response.status_code == 302, "login form should redirect into the admin"
    return site


def test_staff_read_an_emergency_record_in_the_admin_but_cannot_change_or_delete_it(agent, admin_user):
    emergency = report(location_details="By the lamp post")
    for user in (agent, admin_user):
        site = _site(user)
        listing = site.get("/admin/emergencies/emergency/")
        assert listing.status_code == 200 and emergency.reference in listing.content.decode()
        page = site.get(f"/admin/emergencies/emergency/{emergency.pk}/change/")
        assert page.status_code == 200 and "By the lamp post" in page.content.decode()
        assert site.get(f"/admin/emergencies/emergency/{emergency.pk}/delete/").status_code == 403
        assert site.get("/admin/emergencies/emergency/add/").status_code == 403
        posted = site.post_form(f"/admin/emergencies/emergency/{emergency.pk}/change/", {"location_details": "x"})
        assert posted.status_code == 403
    emergency.refresh_from_db()
    assert emergency.location_details == "By the lamp post"
    assert EmergencyEvent.objects.count() == 1


def test_an_emergency_request_offers_no_delete_in_the_admin(admin_user):
    emergency = report()
    site = _site(admin_user)
    assert site.get(f"/admin/utility_services/servicerequest/{emergency.service_request_id}/delete/").status_code == 403


def test_engineers_cannot_log_in_to_the_admin(engineer):
    response = AdminSiteClient().login(engineer)
    assert response.status_code == 200  # the login form again, with its error
    assert "/admin/login/" in response.request["PATH_INFO"]


def test_the_user_page_shows_the_priority_services_entry(admin_user, customer):
    from accounts import services

    services.priority_services_register(acting_user=customer, user=customer, categories=["disability"], consent=True)
    page = _site(admin_user).get(f"/admin/accounts/user/{customer.pk}/change/")
    assert page.status_code == 200 and "disability" in page.content.decode()
