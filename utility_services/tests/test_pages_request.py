"""The customer's request page: the same actions as the API (same timeline rows, same emails).

Through the real login form, session and CSRF. Moved from test_pages.py (split by subject).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from testing.factories import request_in
from testing.page_client import Page
from testing.pages import (
    PUBLIC_NOTE,
    SECRET,
    emails,
    portal_url,
    staff_url,
    timeline,
    with_files,
)
from testing.service_requests import snapshot
from utility_services import services
from utility_services.models import Attachment, Priority, RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


# --- the detail page: the same actions as the API ---------------------------------------------

ACTIONS = {
    # action: (start status, page form data, API path, API data)
    "comment": (
        "In Progress",
        {"comment-body": "The meter is in the garage"},
        "comments",
        {"body": "The meter is in the garage"},
    ),
    "cancel": ("Pending", {"cancel-reason": "Sorted it myself"}, "cancel", {"reason": "Sorted it myself"}),
    "reopen": ("Resolved", {"reopen-reason": "Still smells"}, "reopen", {"reason": "Still smells"}),
    "attach": ("On Hold", {"attach-files": "meter.png"}, "attachments", {"files": "meter.png"}),
}
DONE = {
    "comment": "Your information was added.",
    "cancel": "Your request was cancelled.",
    "reopen": "Your request was reopened.",
    "attach": "Your files were attached.",
}


@pytest.mark.parametrize("action", ACTIONS)
def test_detail_action_does_what_the_api_does(customer_page, customer_api, customer, agent, sent, action):
    status, form_data, api_path, api_data = ACTIONS[action]
    by_page, by_api = (request_in(status, customer=customer, assignee=agent) for _ in range(2))

    with sent():
        response = customer_page.submit(portal_url(by_page), with_files(form_data), action=action)
    with sent():
        api_url = f"/api/track/{by_api.pk}/{api_path}/"
        if action == "attach":
            api_response = customer_api.client.post(
                api_url, with_files(api_data), headers={"X-CSRFToken": customer_api.csrf_token}
            )
        else:
            api_response = customer_api.post(api_url, api_data)
    assert api_response.status_code in (200, 201), api_response.content

    assert (response.status_code, response["Location"]) == (302, portal_url(by_page))
    assert ("success", DONE[action]) in customer_page.page(portal_url(by_page)).messages()
    assert timeline(by_page) == timeline(by_api) != []
    assert emails(by_page.reference) == emails(by_api.reference)
    assert bool(emails(by_page.reference)) is (action in ("comment", "reopen"))  # the assignee is told
    page_stored, api_stored = (ServiceRequest.objects.get(pk=sr.pk) for sr in (by_page, by_api))
    assert (page_stored.status, page_stored.resolved_at, page_stored.cancelled_at is None) == (
        api_stored.status,
        api_stored.resolved_at,
        api_stored.cancelled_at is None,
    )
    fields = ("original_name", "content_type", "size", "uploaded_by")
    assert list(by_page.attachments.values_list(*fields)) == list(by_api.attachments.values_list(*fields))


@pytest.mark.parametrize(
    ("status", "resolved_days_ago", "shown"),
    [
        ("Pending", None, {"comment", "attach", "cancel"}),
        ("In Progress", None, {"comment", "attach", "cancel"}),
        ("On Hold", None, {"comment", "attach", "cancel"}),
        ("Resolved", 1, {"comment", "attach", "reopen"}),
        ("Resolved", 15, {"comment", "attach"}),
        ("Closed", None, set()),
        ("Cancelled", None, set()),
    ],
)
def test_detail_offers_only_the_actions_allowed_now(customer_page, customer, status, resolved_days_ago, shown):
    fields = {"resolved_at": timezone.now() - timedelta(days=resolved_days_ago)} if resolved_days_ago else {}
    service_request = request_in(status, customer=customer, **fields)

    page = customer_page.page(portal_url(service_request))

    assert {action for action in ACTIONS if page.has_form(action)} == shown


@pytest.mark.parametrize(
    ("action", "status", "resolved_days_ago", "error"),
    [
        ("cancel", "Resolved", 1, "You cannot cancel this request: it is Resolved"),
        ("cancel", "Closed", None, "You cannot cancel this request: it is Closed"),
        ("cancel", "Cancelled", None, "You cannot cancel this request"),
        ("reopen", "Pending", None, "You cannot reopen this request"),
        ("reopen", "Resolved", 15, "within 14 days of its resolution"),
        ("comment", "Closed", None, "You cannot add to this request: it is Closed"),
        ("attach", "Cancelled", None, "You cannot add to this request: it is Cancelled"),
    ],
)
def test_forbidden_action_shows_an_error_and_changes_nothing(
    customer_page, customer, agent, sent, action, status, resolved_days_ago, error
):
    fields = {"resolved_at": timezone.now() - timedelta(days=resolved_days_ago)} if resolved_days_ago else {}
    service_request = request_in(status, customer=customer, assignee=agent, **fields)
    before = snapshot(service_request)

    with sent():
        response = customer_page.post(portal_url(service_request), {"action": action, **with_files(ACTIONS[action][1])})

    assert (response.status_code, response["Location"]) == (302, portal_url(service_request))
    messages = customer_page.page(portal_url(service_request)).messages()
    assert [level for level, _ in messages] == ["error"]
    assert error in messages[0][1]
    assert snapshot(service_request) == before
    assert (Attachment.objects.count(), mail.outbox) == (0, [])


def test_cancel_from_a_page_that_went_stale_is_refused(customer_page, customer, agent):
    service_request = request_in("Pending", customer=customer)
    page = customer_page.page(portal_url(service_request))
    form = page.form_values(page.form("cancel"))
    services.service_request_update(acting_user=agent, service_request=service_request, status="Resolved")
    before = snapshot(service_request)

    response = customer_page.post(portal_url(service_request), form, follow=True)

    assert any(level == "error" and "You cannot cancel" in text for level, text in Page(response).messages())
    assert snapshot(service_request) == before


def test_empty_comment_shows_the_error_by_the_field_and_records_nothing(customer_page, mine):
    before = snapshot(mine)

    response = customer_page.submit(portal_url(mine), {"comment-body": "   "}, action="comment")

    assert response.status_code == 200
    assert Page(response).field_errors("comment-body") == ["This field is required."]
    assert snapshot(mine) == before


@pytest.mark.parametrize(
    "data",
    [
        {"action": "update", "update-status": "Resolved", "update-priority": "4"},
        {"action": "comment", "comment-body": "x", "status": "Resolved", "priority": "4", "assignee": "1"},
        {"action": "note", "note-body": "Pretending to be staff", "note-visibility": "internal"},
        {"action": "cancel", "cancel-reason": "", "status": "Closed"},
    ],
    ids=["staff-update", "comment-with-extras", "staff-note", "cancel-to-closed"],
)
def test_customer_cannot_set_status_priority_or_assignee_from_the_portal(customer_page, mine, agent, data):
    data = {key: (agent.pk if key == "assignee" else value) for key, value in data.items()}

    customer_page.post(portal_url(mine), data)

    stored = ServiceRequest.objects.get(pk=mine.pk)
    assert stored.status in ("Pending", "Cancelled")
    assert (stored.priority, stored.assignee_id) == (Priority.NORMAL, None)
    assert not RequestEvent.objects.filter(kind__in=["note", "status_changed", "priority_changed", "assigned"]).exists()


def test_internal_entries_never_reach_a_customer_page_while_public_ones_do(
    customer_page, agent_page, customer, agent, sent, mine
):
    with sent():
        agent_page.submit(staff_url(mine), {"note-body": SECRET}, action="note")
        agent_page.submit(
            staff_url(mine), {"update-priority": Priority.HIGH, "update-assignee": agent.pk}, action="update"
        )
        services.service_request_add_note(acting_user=agent, service_request=mine, body=SECRET + " 2", is_internal=True)
        agent_page.submit(staff_url(mine), {"note-body": PUBLIC_NOTE, "note-visibility": "public"}, action="note")
        seen = [
            customer_page.page("/requests/").html,
            customer_page.page("/requests/?status=Pending").html,
            customer_page.page(portal_url(mine)).html,
            customer_page.submit(
                portal_url(mine), {"comment-body": "Thanks"}, action="comment", follow=True
            ).content.decode(),
        ]

    assert RequestEvent.objects.filter(service_request=mine, is_internal=True, kind="note").count() == 2
    for html in seen:
        for internal in (SECRET, "Priority changed", "Assignee changed", "Internal"):
            assert internal not in html
    assert PUBLIC_NOTE in Page(customer_page.get(portal_url(mine))).main.text()
    staff_view = agent_page.page(staff_url(mine)).main.text()
    assert SECRET in staff_view and SECRET + " 2" in staff_view and PUBLIC_NOTE in staff_view
    customer_emails = [email for email in mail.outbox if customer.email in email.to]
    assert len(customer_emails) == 1 and PUBLIC_NOTE in customer_emails[0].body
    assert all(SECRET not in email.subject + email.body for email in customer_emails)
