"""The one-action staff services, the rules kept as queryset methods, and the pages' action views.

`service_request_update` (a PATCH, the console's form, the admin) is tested through the API
elsewhere; here each action is called alone, and joined under one lock.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client

from accounts.models import User
from core.api.exceptions import HTTP_STATUS, http_status_of
from core.exceptions import (
    Conflict,
    Forbidden,
    KeyReused,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    StaleVersion,
)
from emergencies.models import Emergency
from testing.factories import ServiceRequestFactory, UserFactory
from utility_services import services
from utility_services.attributes import InvalidAnswers
from utility_services.models import Attachment, Priority, RequestEvent, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db
Kind = RequestEvent.Kind


def events_of(service_request) -> list[tuple[str, str, str, bool]]:
    return [
        (event.kind, event.field, event.new_value, event.is_internal)
        for event in RequestEvent.objects.filter(service_request=service_request).order_by("id")
    ]


# --- Each action alone --------------------------------------------------------------------


def test_transition_moves_the_status_records_it_and_emails_the_customer(
    agent, customer, mailoutbox, django_capture_on_commit_callbacks
):
    service_request = ServiceRequestFactory(customer=customer)

    with django_capture_on_commit_callbacks(execute=True):
        changed = services.service_request_transition(
            acting_user=agent, service_request=service_request, status="Resolved"
        )

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (changed.status, stored.status, stored.resolved_at is not None) == ("Resolved", "Resolved", True)
    assert events_of(service_request) == [(Kind.STATUS_CHANGED, "status", "Resolved", False)]
    assert [message.to for message in mailoutbox] == [[customer.email]]
    assert stored.updated_at == stored.staff_updated_at  # the customer can see it


def test_transition_refuses_a_move_the_workflow_forbids(agent):
    service_request = ServiceRequestFactory(
        status="Closed", resolved_at="2026-01-01T00:00Z", closed_at="2026-01-02T00:00Z"
    )

    with pytest.raises(Conflict):
        services.service_request_transition(acting_user=agent, service_request=service_request, status="Pending")

    assert events_of(service_request) == []


def test_reprioritise_and_assign_are_internal(agent, admin_user):
    service_request = ServiceRequestFactory()
    before = ServiceRequest.objects.get(pk=service_request.pk)

    services.service_request_reprioritise(acting_user=agent, service_request=service_request, priority=Priority.HIGH)
    services.service_request_assign(acting_user=agent, service_request=service_request, assignee=admin_user)

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.priority, stored.assignee_id) == (Priority.HIGH, admin_user.pk)
    assert events_of(service_request) == [
        (Kind.PRIORITY_CHANGED, "priority", "High", True),
        (Kind.ASSIGNED, "assignee", admin_user.name, True),
    ]
    assert stored.updated_at == before.updated_at  # the customer's view did not move
    assert stored.staff_updated_at > before.staff_updated_at


def test_assign_refuses_who_may_not_be_assigned(agent, customer):
    service_request = ServiceRequestFactory()

    with pytest.raises(ValidationError) as refused:
        services.service_request_assign(acting_user=agent, service_request=service_request, assignee=customer)

    assert "assignee" in refused.value.message_dict
    assert events_of(service_request) == []


def test_edit_changes_the_text_and_reindexes_only_for_details(agent):
    service_request = ServiceRequestFactory(details="Old words")

    services.service_request_edit(
        acting_user=agent, service_request=service_request, details="Boiler whistles", resolution_details="Bled it"
    )

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.details, stored.resolution_details) == ("Boiler whistles", "Bled it")
    assert [event[:3] for event in events_of(service_request)] == [
        (Kind.UPDATED, "details", "Boiler whistles"),
        (Kind.UPDATED, "resolution_details", "Bled it"),
    ]
    assert "whistles" in stored.search_document.body


def test_edit_refuses_blank_details_but_may_clear_the_resolution(agent):
    service_request = ServiceRequestFactory(resolution_details="Done")

    with pytest.raises(ValidationError):
        services.service_request_edit(acting_user=agent, service_request=service_request, details="  ")
    services.service_request_edit(acting_user=agent, service_request=service_request, resolution_details="")

    assert ServiceRequest.objects.get(pk=service_request.pk).resolution_details == ""


def test_reclassify_as_an_emergency_raises_the_priority_and_opens_the_record(agent):
    service_request = ServiceRequestFactory()
    gas_leak = RequestType.objects.get(name="Gas Leak")

    services.service_request_reclassify(acting_user=agent, service_request=service_request, request_type=gas_leak)

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.request_type, stored.priority) == (gas_leak, Priority.EMERGENCY)
    assert stored.due_at == stored.submitted_at + gas_leak.target_resolution_time
    assert Emergency.objects.filter(service_request=service_request).exists()
    kinds = [event[:2] for event in events_of(service_request)]
    assert kinds[0] == (Kind.UPDATED, "type_of_request") and kinds[-1] == (Kind.PRIORITY_CHANGED, "priority")


def test_reclassify_leaves_the_priority_to_a_caller_that_sets_its_own(agent):
    service_request = ServiceRequestFactory()

    services.service_request_reclassify(
        acting_user=agent,
        service_request=service_request,
        request_type=RequestType.objects.get(name="Gas Leak"),
        raise_priority=False,
    )

    assert ServiceRequest.objects.get(pk=service_request.pk).priority == Priority.NORMAL


def test_reclassify_refuses_a_retired_type(agent):
    service_request = ServiceRequestFactory()
    retired = RequestType.objects.create(name="Retired", code="retired", is_active=False)

    with pytest.raises(ValidationError):
        services.service_request_reclassify(acting_user=agent, service_request=service_request, request_type=retired)


@pytest.mark.parametrize(
    ("action", "value"),
    [
        (services.service_request_transition, {"status": "In Progress"}),
        (services.service_request_reprioritise, {"priority": Priority.HIGH}),
        (services.service_request_assign, {"assignee": None}),
        (services.service_request_edit, {"details": "New"}),
        (services.service_request_reclassify, {"request_type": None}),
    ],
)
def test_only_staff_may_act(customer, action, value):
    service_request = ServiceRequestFactory(customer=customer)
    value = (
        {key: val or RequestType.objects.get(name="Other") for key, val in value.items()}
        if "request_type" in value
        else value
    )

    with pytest.raises(Forbidden):
        action(acting_user=customer, service_request=service_request, **value)


# --- Several actions under one lock -------------------------------------------------------


def test_actions_join_the_callers_lock_without_locking_again(agent, django_assert_num_queries):
    service_request = ServiceRequestFactory()

    with transaction.atomic():
        locked = services.service_request_lock(acting_user=agent, service_request=service_request)
        # Each action: its event, then its update; no lock, no savepoint of its own.
        with django_assert_num_queries(4):
            services.service_request_reprioritise(acting_user=agent, service_request=locked, priority=Priority.LOW)
            services.service_request_edit(acting_user=agent, service_request=locked, resolution_details="Parts due")

    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.priority, stored.resolution_details) == (Priority.LOW, "Parts due")


def test_a_request_locked_by_someone_else_is_locked_again(agent, admin_user, django_assert_num_queries):
    service_request = ServiceRequestFactory()

    with transaction.atomic():
        locked = services.service_request_lock(acting_user=admin_user, service_request=service_request)
        # savepoint, the lock, the event, the update, release
        with django_assert_num_queries(5):
            services.service_request_reprioritise(acting_user=agent, service_request=locked, priority=Priority.LOW)


def test_the_lock_refuses_a_stale_version(agent):
    service_request = ServiceRequestFactory()

    with pytest.raises(StaleVersion), transaction.atomic():
        services.service_request_lock(acting_user=agent, service_request=service_request, expected_version=1)


def test_update_applies_the_actions_in_turn_and_all_or_nothing(agent, admin_user):
    service_request = ServiceRequestFactory()

    with pytest.raises(Conflict):
        services.service_request_update(
            acting_user=agent,
            service_request=service_request,
            priority=Priority.HIGH,
            assignee=admin_user,
            status="Closed",  # Pending cannot be closed: nothing of the rest is kept
        )
    assert events_of(service_request) == []

    services.service_request_update(
        acting_user=agent,
        service_request=service_request,
        priority=Priority.HIGH,
        assignee=admin_user,
        status="Resolved",
    )
    assert [event[0] for event in events_of(service_request)] == [
        Kind.PRIORITY_CHANGED,
        Kind.ASSIGNED,
        Kind.STATUS_CHANGED,
    ]


# --- Rules as queryset methods ------------------------------------------------------------


def test_public_events_and_attachments_leave_out_the_internal_ones(agent):
    service_request = ServiceRequestFactory()
    services.service_request_add_note(
        acting_user=agent, service_request=service_request, body="Staff", is_internal=True
    )
    services.service_request_add_note(acting_user=agent, service_request=service_request, body="All", is_internal=False)
    for is_internal in (True, False):
        Attachment.objects.create(
            service_request=service_request,
            original_name=f"{is_internal}.pdf",
            content_type="application/pdf",
            size=1,
            is_internal=is_internal,
        )

    assert [event.body for event in RequestEvent.objects.filter(kind=Kind.NOTE).public()] == ["All"]
    assert [attachment.original_name for attachment in Attachment.objects.public()] == ["False.pdf"]
    assert [event.body for event in service_request.customer_timeline() if event.kind == Kind.NOTE] == ["All"]
    assert [attachment.original_name for attachment in service_request.customer_attachments()] == ["False.pdf"]


def test_the_public_timeline_is_prefetched(django_assert_num_queries):
    service_request = ServiceRequestFactory()

    with django_assert_num_queries(3):  # the request, its public events, its public files
        loaded = ServiceRequest.objects.with_public_timeline().get(pk=service_request.pk)
        loaded.customer_timeline()
        loaded.customer_attachments()


@pytest.mark.parametrize(
    ("status", "accepts"),
    [
        ("Pending", True),
        ("In Progress", True),
        ("On Hold", True),
        ("Resolved", True),
        ("Closed", False),
        ("Cancelled", False),
    ],
)
def test_accepts_additions_until_closed_or_cancelled(status, accepts):
    assert ServiceRequest(status=status).accepts_additions is accepts


@pytest.mark.parametrize("role", User.Role.values)
@pytest.mark.parametrize("is_active", [True, False])
def test_assignable_users_and_is_assignable_agree(role, is_active):
    user = UserFactory(role=role, is_active=is_active)

    assert User.objects.assignable().filter(pk=user.pk).exists() is user.is_assignable
    assert user.is_assignable is (role in ("agent", "admin") and is_active)


def test_the_assignee_choices_are_the_assignable_users(agent, admin_user, customer, engineer):
    from utility_services.api.serializers import StaffUpdateSerializer
    from utility_services.forms import StaffUpdateForm

    UserFactory(role=User.Role.AGENT, is_active=False)
    assignable = {agent.pk, admin_user.pk}

    assert {user.pk for user in StaffUpdateForm().fields["assignee"].queryset} == assignable
    assert {user.pk for user in StaffUpdateSerializer().fields["assignee"].queryset} == assignable


# --- Exceptions know no HTTP ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ServiceError(), 400),
        (InvalidAnswers({"code": ["Wrong."]}), 400),
        (Conflict(), 409),
        (Forbidden(), 403),
        (NotFound(), 404),
        (PayloadTooLarge(), 413),
        (StaleVersion(), 412),
        (KeyReused(), 422),
    ],
)
def test_the_api_maps_each_error_to_its_status(error, status):
    assert not hasattr(error, "status_code")
    assert http_status_of(error) == status


def test_a_new_error_takes_the_status_of_its_nearest_listed_base():
    class AlreadyDispatched(Conflict):
        pass

    assert AlreadyDispatched not in HTTP_STATUS
    assert http_status_of(AlreadyDispatched()) == 409


# --- Pages: one view per action -------------------------------------------------------------


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_customer_action_has_its_own_url(customer):
    service_request = ServiceRequestFactory(customer=customer)
    client = page_client(customer)

    comment = client.post(f"/requests/{service_request.pk}/comments/", {"comment-body": "It is in the garage"})
    cancel = client.post(f"/requests/{service_request.pk}/cancel/", {"cancel-reason": "Fixed"})

    assert (comment.status_code, comment["Location"]) == (302, f"/requests/{service_request.pk}/")
    assert cancel.status_code == 302
    assert [event[0] for event in events_of(service_request)] == [Kind.COMMENT, Kind.CANCELLED]
    assert client.get(f"/requests/{service_request.pk}/comments/").status_code == 405


def test_a_customer_action_on_anothers_request_is_a_404(customer, other_customer):
    service_request = ServiceRequestFactory(customer=other_customer)

    response = page_client(customer).post(f"/requests/{service_request.pk}/reopen/", {"reopen-reason": ""})

    assert response.status_code == 404


def test_an_invalid_action_form_shows_the_detail_page_with_its_errors(customer):
    service_request = ServiceRequestFactory(customer=customer)

    response = page_client(customer).post(f"/requests/{service_request.pk}/comments/", {"comment-body": ""})

    assert response.status_code == 200
    assert response.context["forms"]["comment"].errors
    assert events_of(service_request) == []


def test_each_staff_action_has_its_own_url(agent):
    service_request = ServiceRequestFactory()
    client = page_client(agent)

    note = client.post(
        f"/staff/requests/{service_request.pk}/notes/", {"note-body": "Called", "note-visibility": "internal"}
    )
    update = client.post(
        f"/staff/requests/{service_request.pk}/update/",
        {"update-status": "In Progress", "update-priority": "3", "update-assignee": agent.pk},
    )

    assert (note.status_code, update.status_code) == (302, 302)
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert (stored.status, stored.priority, stored.assignee_id) == ("In Progress", Priority.HIGH, agent.pk)


def test_a_customer_cannot_post_a_staff_action(customer):
    service_request = ServiceRequestFactory(customer=customer)

    response = page_client(customer).post(f"/staff/requests/{service_request.pk}/notes/", {"note-body": "x"})

    assert response.status_code == 403


@pytest.mark.parametrize("action", ["comments", "attachments", "cancel", "reopen"])
def test_a_customer_action_without_the_csrf_token_is_refused(customer, action):
    # The per-action URLs are new routes: each must keep Django's CSRF check (an outsider's probe).
    service_request = ServiceRequestFactory(customer=customer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.post(f"/requests/{service_request.pk}/{action}/", {"comment-body": "x", "cancel-reason": "x"})

    assert response.status_code == 403
    assert events_of(service_request) == []


@pytest.mark.parametrize("action", ["update", "notes", "attachments"])
def test_a_staff_action_without_the_csrf_token_is_refused(agent, action):
    service_request = ServiceRequestFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(
        f"/staff/requests/{service_request.pk}/{action}/", {"note-body": "x", "update-priority": "4"}
    )

    assert response.status_code == 403
    assert events_of(service_request) == []
