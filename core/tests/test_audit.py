"""The account audit trail: who created, changed or deleted which account, from what to what.

Recorded for the API, the Django admin and self-service alike; never a password; kept after
the account is deleted; readable by admins only, in the Django admin.
"""

import json

import pytest

from accounts.models import User, UserAuditEvent
from testing.admin_client import AdminSiteClient
from testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
AUDIT_LIST = "/admin/accounts/userauditevent/"
NEW_USER = {
    "username": "newbie",
    "email": "newbie@example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "name": "New Bie",
    "phone_number": "+441632960002",
    "address": "2 Gas Street",
}


def events(**filters) -> list[UserAuditEvent]:
    return list(UserAuditEvent.objects.filter(**filters).order_by("id"))


def only_event(**filters) -> UserAuditEvent:
    found = events(**filters)
    assert len(found) == 1, found
    return found[0]


def admin_site(user) -> AdminSiteClient:
    site = AdminSiteClient()
    assert site.login(user).status_code == 302
    return site


def assert_no_password(event: UserAuditEvent, user: User) -> None:
    recorded = json.dumps(event.changes)
    assert "password" not in recorded
    assert PASSWORD not in recorded and user.password not in recorded


def test_an_admin_creating_an_account_is_recorded_without_the_password(admin_api, admin_user):
    response = admin_api.post("/accounts/api/admin/users/create/", {**NEW_USER, "role": "agent"})
    assert response.status_code == 201, response.content
    created = User.objects.get(username="newbie")

    event = only_event(action="created")
    assert (event.actor, event.actor_username) == (admin_user, admin_user.username)
    assert (event.target, event.target_username) == (created, "newbie")
    assert event.changes["username"] == [None, "newbie"]
    assert event.changes["role"] == [None, "agent"]
    assert event.changes["email"] == [None, "newbie@example.com"]
    assert_no_password(event, created)


def test_registration_is_recorded_as_the_new_user_acting(api):
    assert api.post("/accounts/api/register/", NEW_USER).status_code == 201
    event = only_event(action="created")
    assert event.actor.username == event.target.username == "newbie"
    assert_no_password(event, event.target)


def test_an_admin_update_records_only_the_changed_fields_before_and_after(admin_api, admin_user, customer):
    response = admin_api.patch(
        f"/accounts/api/admin/users/{customer.pk}/",
        {"name": "Carol Renamed", "role": "agent", "address": customer.address},
    )
    assert response.status_code == 200, response.content

    event = only_event(action="updated")
    assert (event.actor, event.target, event.target_username) == (admin_user, customer, customer.username)
    assert event.changes == {"name": ["Carol Customer", "Carol Renamed"], "role": ["customer", "agent"]}


def test_a_self_service_update_records_the_user_as_actor(customer_api, customer):
    response = customer_api.patch("/accounts/api/account/", {"phone_number": "+441632960123"})
    assert response.status_code == 200, response.content
    event = only_event(action="updated")
    assert event.actor == event.target == customer
    assert event.changes == {"phone_number": ["+441632960001", "+441632960123"]}


def test_no_change_and_refused_changes_record_nothing(admin_api, admin_user, customer):
    url = f"/accounts/api/admin/users/{customer.pk}/"
    assert admin_api.patch(url, {"name": customer.name}).status_code == 200  # same value: nothing changed
    assert admin_api.patch(url, {"email": "not-an-email"}).status_code == 400
    assert admin_api.patch(url, {"name": "Stale"}, headers={"If-Match": f'"{customer.pk}-1"'}).status_code == 412
    assert admin_api.patch(f"/accounts/api/admin/users/{admin_user.pk}/", {"role": "customer"}).status_code == 403
    assert events(action="updated") == []


def test_the_trail_survives_deleting_the_account(admin_api, admin_user, customer):
    url = f"/accounts/api/admin/users/{customer.pk}/"
    assert admin_api.patch(url, {"name": "Carol Before Deletion"}).status_code == 200
    assert admin_api.delete(url).status_code == 200
    assert not User.objects.filter(pk=customer.pk).exists()

    deleted = only_event(action="deleted")
    assert (deleted.actor, deleted.target, deleted.target_username) == (admin_user, None, "carol")
    assert deleted.changes["name"] == ["Carol Before Deletion", None]
    assert deleted.changes["email"] == [customer.email, None]
    earlier = only_event(action="updated")
    assert (earlier.target, earlier.target_username) == (None, "carol")
    assert earlier.changes == {"name": ["Carol Customer", "Carol Before Deletion"]}


def test_the_trail_keeps_the_actor_name_after_the_actor_is_deleted(admin_user, customer):
    other_admin = UserFactory(role=User.Role.ADMIN)
    site = admin_site(other_admin)
    form = {"username": "carol", "email": customer.email, "name": "Carol C", "phone_number": customer.phone_number}
    response = site.post_form(
        f"/admin/accounts/user/{customer.pk}/change/",
        {**form, "address": customer.address, "role": "customer", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    site = admin_site(admin_user)
    response = site.post_form(f"/admin/accounts/user/{other_admin.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]

    event = only_event(action="updated", target=customer)
    assert (event.actor, event.actor_username) == (None, other_admin.username)
    assert event.changes == {"name": ["Carol Customer", "Carol C"]}
    assert only_event(action="deleted").actor == admin_user


def test_the_django_admin_change_form_is_recorded(admin_user, customer):
    site = admin_site(admin_user)
    form = {
        "username": customer.username,
        "email": customer.email,
        "name": customer.name,
        "phone_number": customer.phone_number,
        "address": customer.address,
        "role": "agent",
        # is_active left unticked: the form deactivates the account
    }
    response = site.post_form(f"/admin/accounts/user/{customer.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]

    event = only_event(action="updated")
    assert (event.actor, event.target) == (admin_user, customer)
    assert event.changes == {"role": ["customer", "agent"], "is_active": [True, False]}


def test_the_django_admin_add_form_is_recorded(admin_user):
    site = admin_site(admin_user)
    response = site.post_form("/admin/accounts/user/add/", {**NEW_USER, "role": "customer"})
    assert response.status_code == 302, response.content.decode()[:2000]
    event = only_event(action="created")
    assert (event.actor, event.target.username) == (admin_user, "newbie")
    assert_no_password(event, event.target)


def test_admins_read_the_trail_in_the_django_admin(admin_api, admin_user, customer):
    admin_api.patch(f"/accounts/api/admin/users/{customer.pk}/", {"name": "Carol Audited"})
    event = only_event(action="updated")
    site = admin_site(admin_user)

    listing = site.get(AUDIT_LIST)
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [event]
    assert "Carol Audited" in listing.content.decode()
    assert site.get(f"{AUDIT_LIST}{event.pk}/change/").status_code == 200  # the read-only view


def test_nobody_can_add_edit_or_delete_audit_events(admin_user, api):
    assert api.post("/accounts/api/register/", NEW_USER).status_code == 201
    event = only_event(action="created")
    site = admin_site(admin_user)
    assert site.get(f"{AUDIT_LIST}add/").status_code == 403
    assert site.get(f"{AUDIT_LIST}{event.pk}/delete/").status_code == 403
    response = site.post_form(f"{AUDIT_LIST}{event.pk}/change/", {"action": "deleted", "target_username": "x"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert (event.action, event.target_username) == ("created", "newbie")


def test_agents_cannot_see_the_trail_and_customers_cannot_enter_the_admin(agent, customer):
    assert admin_site(agent).get(AUDIT_LIST).status_code == 403
    site = AdminSiteClient()
    site.login(customer)
    response = site.get(AUDIT_LIST)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
