"""Our catalogue, requests and timeline as Open311 sees them.

Only requests that came in through Open311 are ever shown there: requests made in the
portal, the API or by phone are customers' own business and stay out of every Open311
answer. What is shown is what the client sent (its description, location and link),
the type, the status and its notes, and the dates: never contact details, the account,
internal notes, priority or assignee.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import Q

from utility_services.attributes import questions_of
from utility_services.emergency import safety_notice
from utility_services.models import OPEN_STATUSES, RequestEvent, RequestType, ServiceRequest

from .formats import w3c_datetime

Status = ServiceRequest.Status
Kind = RequestEvent.Kind

# Our six statuses in Open311's two, and the note that says which one.
STATUS_NOTES = {
    Status.PENDING: "Received: waiting to be worked on.",
    Status.IN_PROGRESS: "In progress.",
    Status.ON_HOLD: "On hold: waiting on the reporter or on parts.",
    Status.RESOLVED: "Resolved.",
    Status.CLOSED: "Closed.",
    Status.CANCELLED: "Cancelled.",
}
# mySociety's extended statuses (servicerequestupdates), where ours map onto them.
EXTENDED_STATUS = {
    Status.PENDING: "open",
    Status.IN_PROGRESS: "in_progress",
    Status.ON_HOLD: "action_scheduled",
    Status.RESOLVED: "fixed",
    Status.CLOSED: "closed",
    Status.CANCELLED: "cancelled",
}
# Timeline events published as updates: status changes and what staff wrote for the reporter.
# Customer comments (the reporter's own words, and the updates clients post) are not republished.
STATUS_KINDS = (Kind.SUBMITTED, Kind.STATUS_CHANGED, Kind.CANCELLED, Kind.REOPENED)
UPDATE_KINDS = (Kind.STATUS_CHANGED, Kind.CANCELLED, Kind.REOPENED, Kind.NOTE)


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def _notice_text() -> str:
    notice = safety_notice()
    return f"{notice['title']}. " + " ".join(notice["steps"])


def public_requests():
    """The requests Open311 may show: those that came in through it."""
    return ServiceRequest.objects.filter(open311__isnull=False).select_related("request_type", "open311")


# --- Services ---------------------------------------------------------------------------


def service(request_type: RequestType) -> dict:
    return {
        "service_code": request_type.code,
        "service_name": request_type.name,
        "description": request_type.description,
        "metadata": bool(questions_of(request_type)),
        "type": "realtime",
        "keywords": request_type.keywords,
        "group": request_type.group,
    }


def service_definition(request_type: RequestType) -> dict:
    attributes = []
    for question in questions_of(request_type):
        attribute = {
            "variable": question.variable,
            "code": question.code,
            "datatype": question.datatype,
            # What we enforce: emergency reports are never refused for a missing answer.
            "required": question.required and question.variable and not request_type.is_emergency,
            "datatype_description": question.datatype_description or None,
            "order": question.order,
            "description": question.description,
        }
        if question.is_list:
            attribute["values"] = [{"key": str(value["key"]), "name": value["name"]} for value in question.values]
        attributes.append(attribute)
    return {"service_code": request_type.code, "attributes": attributes}


# --- Requests ---------------------------------------------------------------------------


def status_notes(service_request: ServiceRequest) -> str:
    note = STATUS_NOTES[service_request.status]
    if service_request.status in (Status.RESOLVED, Status.CLOSED) and service_request.resolution_details:
        note = f"{note} {service_request.resolution_details}"
    return note


def service_request(service_request: ServiceRequest) -> dict:
    """One request, with every field of the spec in its order (null where we have nothing)."""
    record = service_request.open311
    return {
        "service_request_id": service_request.reference,
        "status": open311_status(service_request.status),
        "status_notes": status_notes(service_request),
        "service_name": service_request.request_type.name,
        "service_code": service_request.request_type.code,
        "description": service_request.details,
        "agency_responsible": settings.OPEN311_AGENCY_RESPONSIBLE or None,
        "service_notice": _notice_text() if service_request.request_type.is_emergency else None,
        "requested_datetime": w3c_datetime(service_request.submitted_at),
        # The last change the public may see (internal staff actions do not move it).
        "updated_datetime": w3c_datetime(service_request.updated_at),
        "expected_datetime": w3c_datetime(service_request.due_at),
        "address": service_request.address or None,
        "address_id": record.address_id or None,
        "zipcode": service_request.postcode or None,
        "lat": service_request.latitude,
        "long": service_request.longitude,
        "media_url": record.media_url or None,
    }


def created(record, *, with_token: bool) -> dict:
    """The answer to a POST: the id (or, for batch clients, a token) and the notice."""
    service_request = record.service_request
    answer = {"token": record.token} if with_token else {"service_request_id": service_request.reference}
    answer["service_notice"] = _notice_text() if service_request.request_type.is_emergency else None
    return answer


# --- Updates (mySociety's servicerequestupdates) ------------------------------------------


def public_update_events():
    """Timeline events published as updates, of requests Open311 may show."""
    published = Q(kind__in=UPDATE_KINDS) | Q(kind=Kind.UPDATED, field="resolution_details")
    events = RequestEvent.objects.public().filter(published, service_request__open311__isnull=False)
    return events.select_related("service_request").order_by("created_at", "id")


def _statuses_after(events: list[RequestEvent]) -> dict[int, str]:
    """Each event's request status right after it, replayed from the requests' status events."""
    request_ids = {event.service_request_id for event in events}
    changes = defaultdict(list)
    for change in (
        RequestEvent.objects.filter(service_request_id__in=request_ids, kind__in=STATUS_KINDS)
        .order_by("created_at", "id")
        .values_list("service_request_id", "created_at", "id", "new_value")
    ):
        changes[change[0]].append(change[1:])
    statuses = {}
    for event in events:
        status = Status.PENDING
        for created_at, event_id, new_value in changes[event.service_request_id]:
            if (created_at, event_id) > (event.created_at, event.pk):
                break
            status = new_value or status
        statuses[event.pk] = status
    return statuses


def _update_description(event: RequestEvent, status: str) -> str:
    if event.kind == Kind.NOTE:
        return event.body
    if event.kind == Kind.UPDATED:  # the resolution, written for the reporter
        return event.new_value or "Resolution details removed."
    if event.kind == Kind.REOPENED:
        return f"Reopened: {status}."
    if event.kind == Kind.CANCELLED:
        return "Cancelled."
    return f"Status changed to {status}."


def updates(events: list[RequestEvent]) -> list[dict]:
    statuses = _statuses_after(events)
    return [
        {
            "update_id": str(event.pk),
            "service_request_id": event.service_request.reference,
            "status": EXTENDED_STATUS.get(statuses[event.pk], "open"),
            "updated_datetime": w3c_datetime(event.created_at),
            "description": _update_description(event, statuses[event.pk]),
            "media_url": "",
            "external_status_code": statuses[event.pk],
        }
        for event in events
    ]
