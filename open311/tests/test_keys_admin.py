"""Admins issue Open311 API keys in the Django admin: shown once, stored hashed, revocable; agents cannot."""

import re

import pytest

from open311.models import Application, hash_key
from testing.admin_client import AdminSiteClient

pytestmark = pytest.mark.django_db

ADD = "/admin/open311/application/add/"
LIST = "/admin/open311/application/"


@pytest.fixture
def admin_site(admin_user):
    client = AdminSiteClient()
    client.login(admin_user)
    return client


def issue(admin_site, name="FixMyStreet", **fields) -> tuple[Application, str]:
    response = admin_site.post_form(ADD, {"name": name, "contact": "ops@example.org", "rate_limit": "", **fields})
    assert response.status_code == 200, response.content.decode()[:1000]
    assert "no-store" in response["Cache-Control"]
    (key,) = re.findall(r'<code id="api-key">([^<]+)</code>', response.content.decode())
    return Application.objects.get(name=name), key


def test_an_admin_issues_a_key_that_is_shown_once_and_stored_hashed(admin_site, admin_user, open311):
    application, key = issue(admin_site)
    assert application.key_hash == hash_key(key) and application.created_by == admin_user
    assert key.startswith(application.key_prefix)
    change = admin_site.get(f"{LIST}{application.pk}/change/").content.decode()
    assert application.key_prefix in change and key not in change
    assert key not in admin_site.get(LIST).content.decode()
    response = open311.post("requests.json", {"api_key": key, "service_code": "maintenance", "address_id": "U-1"})
    assert response.status_code == 200, response.content


def test_a_bad_rate_is_refused(admin_site):
    response = admin_site.post_form(ADD, {"name": "Bad rate", "rate_limit": "lots"})
    assert response.status_code == 200
    assert "Write a rate as requests/period" in response.content.decode()
    assert not Application.objects.exists()


def test_an_admin_revokes_a_key_and_it_stops_working(admin_site, admin_user, open311):
    application, key = issue(admin_site)
    response = admin_site.post_form(LIST, {"action": "revoke", "_selected_action": [application.pk]})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.revoked_at is not None and application.revoked_by == admin_user
    refused = open311.post("requests.json", {"api_key": key, "service_code": "maintenance", "address_id": "U-1"})
    assert refused.status_code == 403


def test_keys_cannot_be_deleted_only_revoked(admin_site):
    application, _ = issue(admin_site)
    assert admin_site.get(f"{LIST}{application.pk}/delete/").status_code == 403


def test_agents_and_customers_cannot_see_or_issue_keys(agent, customer):
    for user in (agent, customer):
        client = AdminSiteClient()
        client.login(user)
        assert client.get(ADD).status_code in (302, 403)
        assert client.get(LIST).status_code in (302, 403)
    assert not Application.objects.exists()
