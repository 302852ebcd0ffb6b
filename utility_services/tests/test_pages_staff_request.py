"""The staff request page: changes, notes and files; internal notes never reach a customer page.

Through the real login form, session and CSRF. Moved from test_pages.py (split by subject).
"""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from testing.factories import request_in
from testing.page_client import Page
from testing.pages import (
    PUBLIC_NOTE,
    SECRET,
    emails,
    png,
    staff_url,
    timeline,
)
from testing.service_requests import snapshot
from testing.storage import stored_files
from utility_services import services
from utility_services.models import Attachment, Priority, RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


# --- the staff request page -------------------------------------------------------------------


STAFF_ACTIONS = {
    # action: (page form data, API method and path, API data)
    "update": (
        {"update-status": "On Hold", "update-priority": "3", "update-resolution_details": "Parts ordered"},
        ("put", ""),
        {"status": "On Hold", "priority": "High", "resolution_details": "Parts ordered"},
    ),
    "public-note": (
        {"note-body": PUBLIC_NOTE, "note-visibility": "public"},
        ("post", "notes/"),
        {"body": PUBLIC_NOTE, "is_internal": False},
    ),
    "internal-note": ({"note-body": SECRET}, ("post", "notes/"), {"body": SECRET}),
}


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_staff_page_action_does_what_the_api_does(agent_page, agent_api, customer, agent, admin_user, sent, action):
    form_data, (method, api_path), api_data = STAFF_ACTIONS[action]
    by_page, by_api = (request_in("In Progress", customer=customer) for _ in range(2))
    if action == "update":
        form_data, api_data = {**form_data, "update-assignee": admin_user.pk}, {**api_data, "assignee": admin_user.pk}

    with sent():
        response = agent_page.submit(staff_url(by_page), form_data, action=action.split("-")[-1])
    with sent():
        api_response = getattr(agent_api, method)(f"/api/admin/requests/{by_api.pk}/{api_path}", api_data)
    assert api_response.status_code in (200, 201), api_response.content

    assert (response.status_code, response["Location"]) == (302, staff_url(by_page))
    assert timeline(by_page) == timeline(by_api) != []
    assert emails(by_page.reference) == emails(by_api.reference)
    assert bool(emails(by_page.reference)) is (action != "internal-note")
    page_stored, api_stored = (ServiceRequest.objects.get(pk=sr.pk) for sr in (by_page, by_api))
    fields = ("status", "priority", "assignee_id", "resolution_details", "resolved_at")
    assert [getattr(page_stored, f) for f in fields] == [getattr(api_stored, f) for f in fields]


def test_staff_update_changes_status_priority_and_assignee(agent_page, agent, mine):
    response = agent_page.submit(
        staff_url(mine),
        {"update-status": "In Progress", "update-priority": str(Priority.EMERGENCY), "update-assignee": agent.pk},
        action="update",
    )

    assert response.status_code == 302
    stored = ServiceRequest.objects.get(pk=mine.pk)
    assert (stored.status, stored.priority, stored.assignee) == ("In Progress", Priority.EMERGENCY, agent)
    assert {row[0] for row in timeline(mine)} == {"status_changed", "priority_changed", "assigned"}
    assert ("success", "Request updated.") in agent_page.page(staff_url(mine)).messages()


@pytest.mark.parametrize(
    ("status", "to", "error"),
    [
        ("Closed", "Pending", "A request that is Closed cannot move to Pending. Closed is final."),
        ("Resolved", "On Hold", "cannot move to On Hold. Allowed: Pending, In Progress, Closed."),
        ("Cancelled", "In Progress", "Cancelled is final."),
    ],
)
def test_forbidden_transition_is_an_error_on_the_page_and_changes_nothing(
    agent_page, customer, agent, sent, status, to, error
):
    service_request = request_in(status, customer=customer)
    before = snapshot(service_request)

    with sent():
        response = agent_page.submit(
            staff_url(service_request),
            {"update-status": to, "update-priority": "3", "update-assignee": agent.pk},
            action="update",
        )

    assert response.status_code == 200
    page = Page(response)
    update_form = page.form("update")
    assert error in update_form.text()
    assert update_form.find(id="error-summary") is not None
    assert snapshot(service_request) == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("update-assignee", "customer"), ("update-status", "Archived"), ("update-priority", "9")],
)
def test_invalid_staff_update_shows_the_error_by_the_field(request, agent_page, mine, field, value):
    if value == "customer":
        value = request.getfixturevalue("customer").pk
    before = snapshot(mine)

    response = agent_page.submit(staff_url(mine), {field: value}, action="update")

    assert response.status_code == 200
    assert Page(response).field_errors(field)
    assert snapshot(mine) == before


def test_staff_note_is_internal_by_default(agent_page, agent, mine, sent):
    page = agent_page.page(staff_url(mine))
    checked = page.form_values(page.form("note"))["note-visibility"]

    with sent():
        agent_page.submit(staff_url(mine), {"note-body": "Checked the valve"}, action="note")

    assert checked == ["internal"]
    assert timeline(mine) == [("note", agent.pk, agent.name, True, "", "", "", "Checked the valve")]
    assert mail.outbox == []


def test_staff_attach_stores_the_file_on_the_timeline(agent_page, agent, mine):
    response = agent_page.submit(staff_url(mine), {"attach-files": [png("valve.png")]}, action="attach")

    assert response.status_code == 302
    assert list(mine.attachments.values_list("original_name", "uploaded_by")) == [("valve.png", agent.pk)]
    assert timeline(mine) == [("attachment", agent.pk, agent.name, False, "", "", "valve.png", "")]
    assert "valve.png" in agent_page.page(staff_url(mine)).main.text()


def test_staff_bad_attachment_is_an_error_by_the_field_and_stores_nothing(agent_page, mine):
    before = stored_files()

    response = agent_page.submit(
        staff_url(mine), {"attach-files": [SimpleUploadedFile("x.png", b"GIF89a")]}, action="attach"
    )

    assert response.status_code == 200
    assert any("not a JPEG, PNG or PDF" in error for error in Page(response).field_errors("attach-files"))
    assert (Attachment.objects.count(), RequestEvent.objects.count(), stored_files()) == (0, 0, before)


def test_staff_see_the_full_timeline_with_internal_entries_marked(agent_page, agent, customer, mine):
    services.service_request_add_note(acting_user=agent, service_request=mine, body=SECRET, is_internal=True)
    services.service_request_update(acting_user=agent, service_request=mine, priority=Priority.HIGH)
    services.service_request_comment(customer=customer, service_request=mine, body="Any news?")

    page = agent_page.page(staff_url(mine))

    entries = page.main.find("ol", class_="timeline").find_all("li")
    assert len(entries) == RequestEvent.objects.filter(service_request=mine).count() == 3
    assert [("internal" in li.classes) for li in entries] == [True, True, False]
    assert SECRET in entries[0].text() and "Internal" in entries[0].text()
    assert "Any news?" in entries[2].text()
