"""The service-request workflow: which status may follow which, and who may move it.

This is the one place the transition rules live; the API, the web pages and the
Django admin all go through `services`, which asks this module.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import OPEN_STATUSES, ServiceRequest, ServiceRequestStatus

Status = ServiceRequestStatus

# What staff may move a request to, from each status.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CANCELLED}),
    Status.ON_HOLD: frozenset({Status.PENDING, Status.IN_PROGRESS, Status.RESOLVED, Status.CANCELLED}),
    # Reopening a resolved request clears its resolved_at.
    Status.RESOLVED: frozenset({Status.PENDING, Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def allowed_transitions(current: str) -> list[str]:
    """Return the statuses a request in `current` may move to, in workflow order."""
    return [s.value for s in Status if s in TRANSITIONS[current]]


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS[current]


def check_transition(current: str, new: str) -> None:
    """Refuse a move the workflow does not allow (Conflict, naming the allowed ones).

    The service, the API, the staff console and the Django admin all ask this.
    """
    from core.exceptions import Conflict

    if not can_transition(current, new):
        allowed = allowed_transitions(current)
        raise Conflict(
            f"A request that is {current} cannot move to {new}. "
            + (f"Allowed: {', '.join(allowed)}." if allowed else f"{current} is final."),
            details={"status": current, "requested_status": new, "allowed_transitions": allowed},
        )


# What a customer may do to their own request.


def customer_can_cancel(service_request: ServiceRequest) -> bool:
    """A customer may cancel while the request is open."""
    return service_request.status in OPEN_STATUSES


def reopen_window() -> timedelta:
    return timedelta(days=settings.SERVICE_REQUEST_REOPEN_DAYS)


def customer_can_reopen(service_request: ServiceRequest, now: datetime | None = None) -> bool:
    """A customer may reopen a Resolved request within the reopen window."""
    return (
        service_request.status == Status.RESOLVED
        and service_request.resolved_at is not None
        and (now or timezone.now()) - service_request.resolved_at <= reopen_window()
    )


def reopen_status(service_request: ServiceRequest) -> str:
    """A reopened request goes back to its agent if it has one, else to the queue."""
    return Status.IN_PROGRESS if service_request.assignee_id else Status.PENDING
