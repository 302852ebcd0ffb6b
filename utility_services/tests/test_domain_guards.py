"""The domain keeps its own rules: the services refuse what the views used to stop alone.

The next interface (Open311, a job, a management command) cannot forget a check that
lives in the service. And each rule has one wording, whichever interface hits it.
"""

import html

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from core.exceptions import Forbidden, NotFound
from testing.admin_client import AdminSiteClient
from testing.factories import PASSWORD, ServiceRequestFactory
from utility_services import services
from utility_services.models import RequestEvent, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def theirs(other_customer):
    return ServiceRequestFactory(customer=other_customer)


CUSTOMER_ACTIONS = {
    "cancel": lambda user, sr: services.service_request_cancel(customer=user, service_request=sr, reason="x"),
    "reopen": lambda user, sr: services.service_request_reopen(customer=user, service_request=sr),
    "comment": lambda user, sr: services.service_request_comment(customer=user, service_request=sr, body="Hi"),
    "attach": lambda user, sr: services.service_request_attach(
        acting_user=user, service_request=sr, files=[SimpleUploadedFile("a.pdf", PDF)]
    ),
}


@pytest.mark.parametrize("action", sorted(CUSTOMER_ACTIONS))
def test_customer_services_refuse_another_customers_request(customer, theirs, action):
    before = (ServiceRequest.objects.values().get(pk=theirs.pk), RequestEvent.objects.count())
    with pytest.raises(NotFound):
        CUSTOMER_ACTIONS[action](customer, theirs)
    assert (ServiceRequest.objects.values().get(pk=theirs.pk), RequestEvent.objects.count()) == before


@pytest.mark.parametrize(
    "action",
    [
        lambda user, sr: services.service_request_add_note(
            acting_user=user, service_request=sr, body="x", is_internal=True
        ),
        lambda user, sr: services.service_request_update(acting_user=user, service_request=sr, priority=3),
    ],
    ids=["note", "update"],
)
def test_staff_services_refuse_customers(customer, action):
    mine = ServiceRequestFactory(customer=customer)
    with pytest.raises(Forbidden):
        action(customer, mine)


def test_an_inactive_account_reaches_nothing(customer):
    mine = ServiceRequestFactory(customer=customer)
    customer.is_active = False
    with pytest.raises(NotFound):
        services.access_service_request(customer, mine.pk)
    with pytest.raises(Forbidden):
        services.service_request_submit(
            customer=customer, request_type=RequestType.objects.get(name="Maintenance"), details="x"
        )


def test_access_finds_nothing_for_garbage_ids(customer, agent):
    for request_id in ("abc", None, "1e3", -1, 10**30):
        with pytest.raises(NotFound):
            services.access_service_request(agent, request_id, as_staff=True)


def test_customers_never_reach_internal_files(customer, agent):
    mine = ServiceRequestFactory(customer=customer)
    (internal,) = services.service_request_attach(
        acting_user=agent, service_request=mine, files=[SimpleUploadedFile("survey.pdf", PDF)], is_internal=True
    )
    with pytest.raises(NotFound):
        services.access_attachment(customer, mine.pk, internal.pk)
    assert services.access_attachment(agent, mine.pk, internal.pk, as_staff=True) == internal


def test_submit_refuses_an_inactive_type_and_over_long_or_blank_details(customer, settings):
    retired = RequestType.objects.create(name="Retired Service", is_active=False)
    maintenance = RequestType.objects.get(name="Maintenance")
    cases = [
        (retired, "Fine details", "type_of_request"),
        (maintenance, "x" * (settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH + 1), "details"),
        (maintenance, "   ", "details"),
    ]
    for request_type, details, field in cases:
        with pytest.raises(ValidationError) as excinfo:
            services.service_request_submit(customer=customer, request_type=request_type, details=details)
        assert set(excinfo.value.message_dict) == {field}
    assert not ServiceRequest.objects.exists()


def test_other_services_refuse_over_long_text_and_inactive_types(customer, agent, settings):
    mine = ServiceRequestFactory(customer=customer)
    too_long = "x" * (settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH + 1)
    retired = RequestType.objects.create(name="Retired Service", is_active=False)
    calls = [
        lambda: services.service_request_comment(customer=customer, service_request=mine, body=too_long),
        lambda: services.service_request_cancel(customer=customer, service_request=mine, reason="x" * 1001),
        lambda: services.service_request_add_note(
            acting_user=agent, service_request=mine, body=too_long, is_internal=True
        ),
        lambda: services.service_request_update(acting_user=agent, service_request=mine, details=too_long),
        lambda: services.service_request_update(acting_user=agent, service_request=mine, request_type=retired),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    assert RequestEvent.objects.filter(service_request=mine).count() == 0
    mine.refresh_from_db()
    assert mine.status == "Pending" and mine.request_type.name == "Maintenance"


def test_the_api_the_pages_and_the_downloads_all_go_through_the_one_access_function(customer, agent, monkeypatch):
    mine = ServiceRequestFactory(customer=customer)
    (attachment,) = services.service_request_attach(
        acting_user=customer, service_request=mine, files=[SimpleUploadedFile("bill.pdf", PDF)]
    )
    calls = []
    real = services.access_service_request

    def spy(user, request_id, **options):
        calls.append((user.username, int(request_id), options.get("as_staff", False)))
        return real(user, request_id, **options)

    monkeypatch.setattr(services, "access_service_request", spy)
    portal, console = Client(), Client()
    portal.force_login(customer)
    console.force_login(agent)
    responses = [
        portal.get(f"/api/track/{mine.pk}/"),
        portal.get(f"/api/track/{mine.pk}/attachments/{attachment.pk}/"),
        portal.get(f"/requests/{mine.pk}/"),
        console.get(f"/api/admin/requests/{mine.pk}/"),
        console.get(f"/api/admin/requests/{mine.pk}/attachments/{attachment.pk}/"),
        console.get(f"/staff/requests/{mine.pk}/"),
    ]
    assert [response.status_code for response in responses] == [200] * 6
    assert [(name, staff) for name, _, staff in calls] == [("carol", False)] * 3 + [("agent1", True)] * 3


# --- One rule, one wording, whichever interface -----------------------------------------------------------------


def test_a_forbidden_move_reads_the_same_in_the_api_the_console_and_the_django_admin(agent, agent_api):
    service_request = ServiceRequestFactory(status="Cancelled", cancelled_at="2026-01-01T00:00:00Z")
    expected = "A request that is Cancelled cannot move to Pending. Cancelled is final."

    api = agent_api.patch(f"/api/admin/requests/{service_request.pk}/", {"status": "Pending"})
    assert api.status_code == 409 and api.json()["error"] == expected
    site = AdminSiteClient()
    site.login(agent)
    url = f"/admin/utility_services/servicerequest/{service_request.pk}/change/"
    form = {
        "request_type": service_request.request_type_id,
        "status": "Pending",
        "priority": service_request.priority,
        "details": service_request.details,
    }
    assert expected in html.unescape(site.post_form(url, form).content.decode())


def test_a_password_mismatch_reads_the_same_everywhere(api, admin_api, admin_user):
    expected = "The two password fields didn't match."
    fields = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD + "x",
        "name": "New Bie",
        "phone_number": "+441632960000",
        "address": "1 Gas Street",
    }
    assert api.post("/accounts/api/register/", fields).json()["details"]["password2"] == [expected]
    assert admin_api.post("/accounts/api/admin/users/create/", fields).json()["details"]["password2"] == [expected]
    assert expected in html.unescape(Client().post("/accounts/register/", fields).content.decode())
    site = AdminSiteClient()
    site.login(admin_user)
    page = site.post_form("/admin/accounts/user/add/", {**fields, "role": "customer"})
    assert expected in html.unescape(page.content.decode())
    assert not User.objects.filter(username="newbie").exists()


def test_self_demotion_reads_the_same_in_the_api_and_the_django_admin(admin_user, admin_api):
    expected = "You cannot change your own role; ask another admin."
    api = admin_api.patch(f"/accounts/api/admin/users/{admin_user.pk}/", {"role": "agent"})
    assert api.json()["details"]["role"] == [expected]
    site = AdminSiteClient()
    site.login(admin_user)
    form = {
        "username": admin_user.username,
        "email": admin_user.email,
        "name": admin_user.name,
        "phone_number": admin_user.phone_number,
        "address": admin_user.address,
        "role": "agent",
        "is_active": "on",
    }
    assert expected in html.unescape(
        site.post_form(f"/admin/accounts/user/{admin_user.pk}/change/", form).content.decode()
    )
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


# --- moved from test_hardening.py (rules found in review) ---------------------------------------


def test_services_refuse_callers_without_the_role(customer, agent):
    from accounts import services as accounts_services
    from core.exceptions import Forbidden
    from utility_services import services

    request = ServiceRequestFactory()
    with pytest.raises(Forbidden):
        services.service_request_update(acting_user=customer, service_request=request, priority=3)
    with pytest.raises(Forbidden):
        services.service_request_delete(acting_user=agent, service_request=request)
    with pytest.raises(Forbidden):
        accounts_services.user_update(acting_user=agent, user=customer, role=get_user_model().Role.ADMIN)
    assert RequestType.objects.exists() and ServiceRequest.objects.filter(pk=request.pk, priority=2).exists()
