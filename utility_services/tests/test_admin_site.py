"""The Django admin: open to agents and admins by role, and its changes follow the API's rules."""

import pytest

from accounts.models import User
from testing.admin_client import AdminSiteClient
from testing.factories import PASSWORD, ServiceRequestFactory, UserFactory
from utility_services.models import RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


def _site(user):
    site = AdminSiteClient()
    response = site.login(user)
    assert response.status_code == 302, "login form should redirect into the admin"
    return site


def _request_form(service_request, **changes):
    """The change form as the browser posts it, including the read-only inlines' management forms."""
    form = {
        "request_type": service_request.request_type_id,
        "status": service_request.status,
        "priority": service_request.priority,
        "assignee": service_request.assignee_id or "",
        "details": service_request.details,
        "resolution_details": service_request.resolution_details,
        **changes,
    }
    for prefix, manager in (("attachments", service_request.attachments), ("events", service_request.events)):
        count = manager.count()
        form |= {
            f"{prefix}-TOTAL_FORMS": count,
            f"{prefix}-INITIAL_FORMS": count,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    return form


def test_customer_cannot_log_in_to_admin(customer):
    site = AdminSiteClient()
    response = site.login(customer)
    assert response.status_code == 200  # the login form again, with an error
    assert "_auth_user_id" not in site.client.session
    assert site.get("/admin/utility_services/servicerequest/").status_code == 302


def test_agent_sees_and_searches_requests_but_not_users(agent):
    target = ServiceRequestFactory(details="Boiler pilot light keeps going out")
    ServiceRequestFactory(details="Meter reading submitted")
    site = _site(agent)

    page = site.get("/admin/utility_services/servicerequest/", data={"q": "pilot light"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert list(page.context["cl"].result_list) == [target]

    assert site.get("/admin/accounts/user/").status_code == 403


def test_agent_status_change_in_admin_goes_through_the_workflow(agent):
    service_request = ServiceRequestFactory()
    site = _site(agent)
    url = f"/admin/utility_services/servicerequest/{service_request.pk}/change/"

    response = site.post_form(url, _request_form(service_request, status="Resolved", resolution_details="Fixed"))
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == "Resolved"
    assert service_request.resolved_at is not None
    assert service_request.resolution_details == "Fixed"

    response = site.post_form(url, _request_form(service_request, status="Cancelled"))
    assert response.status_code == 200  # form redisplayed with the error
    assert "cannot move to Cancelled" in response.content.decode()
    service_request.refresh_from_db()
    assert service_request.status == "Resolved"


def test_admin_creates_user_in_admin_with_role_and_customer_id(admin_user):
    site = _site(admin_user)
    response = site.post_form(
        "/admin/accounts/user/add/",
        {
            "username": "newagent",
            "email": "New.Agent@Example.com",
            "name": "New Agent",
            "phone_number": "+441632960999",
            "address": "1 Depot Road",
            "role": "agent",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newagent")
    assert user.role == "agent" and user.is_staff and not user.is_superuser
    assert user.email == "new.agent@example.com"
    assert user.customer_id.startswith("GU-")
    assert user.check_password(PASSWORD)


def test_admin_cannot_demote_self_in_admin(admin_user):
    site = _site(admin_user)
    url = f"/admin/accounts/user/{admin_user.pk}/change/"
    form = {
        "username": admin_user.username,
        "email": admin_user.email,
        "name": admin_user.name,
        "phone_number": admin_user.phone_number,
        "address": admin_user.address,
        "role": "customer",
        "is_active": "on",
    }
    response = site.post_form(url, form)
    assert response.status_code == 200
    assert "You cannot change your own role" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_admin_cannot_delete_user_with_requests_in_admin(admin_user):
    with_history = UserFactory()
    ServiceRequestFactory(customer=with_history)
    site = _site(admin_user)
    assert site.get(f"/admin/accounts/user/{with_history.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=with_history.pk).exists()
    assert ServiceRequest.objects.filter(customer=with_history).count() == 1


def test_admin_change_writes_the_timeline_and_emails_like_the_api(
    agent, django_capture_on_commit_callbacks, mailoutbox
):
    service_request = ServiceRequestFactory()
    site = _site(agent)
    url = f"/admin/utility_services/servicerequest/{service_request.pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        response = site.post_form(url, _request_form(service_request, status="In Progress", priority=3))

    assert response.status_code == 302
    events = {event.kind: event for event in RequestEvent.objects.filter(service_request=service_request)}
    assert events["status_changed"].actor == agent
    assert (events["status_changed"].old_value, events["status_changed"].new_value) == ("Pending", "In Progress")
    assert events["priority_changed"].is_internal
    assert [m.to for m in mailoutbox] == [[service_request.customer.email]]
    assert service_request.reference in mailoutbox[0].subject


def test_admin_refuses_a_customer_as_assignee(agent, customer):
    service_request = ServiceRequestFactory()
    site = _site(agent)
    url = f"/admin/utility_services/servicerequest/{service_request.pk}/change/"

    response = site.post_form(url, _request_form(service_request, assignee=customer.pk))

    assert response.status_code == 200
    service_request.refresh_from_db()
    assert service_request.assignee is None


def test_event_audit_trail_is_read_only_and_for_admins(agent, admin_user):
    ServiceRequestFactory()
    assert _site(agent).get("/admin/utility_services/requestevent/").status_code == 403
    site = _site(admin_user)
    assert site.get("/admin/utility_services/requestevent/").status_code == 200
    assert site.get("/admin/utility_services/requestevent/add/").status_code == 403
