"""The service-request workflow: which status may follow which. The one place it lives."""

from .models import ServiceRequest

Status = ServiceRequest.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    # Reopening a resolved request clears its resolved_at.
    Status.RESOLVED: frozenset({Status.PENDING, Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}

OPEN_STATUSES = frozenset({Status.PENDING, Status.IN_PROGRESS})


def allowed_transitions(current: str) -> list[str]:
    """Return the statuses a request in `current` may move to, in workflow order."""
    return [s.value for s in Status if s in TRANSITIONS[current]]


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS[current]
