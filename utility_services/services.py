"""Every write to service requests: submission, staff updates and deletion."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.exceptions import Conflict

from . import workflow
from .models import RequestType, ServiceRequest

Status = ServiceRequest.Status
_UNSET = object()


@transaction.atomic
def service_request_submit(*, customer: User, request_type: RequestType, details: str) -> ServiceRequest:
    """File a new request for `customer`; it starts Pending."""
    service_request = ServiceRequest(customer=customer, request_type=request_type, details=details)
    service_request.full_clean(exclude=["customer", "request_type"], validate_constraints=False)
    service_request.save()
    return service_request


def _apply_status(service_request: ServiceRequest, new_status: str) -> list[str]:
    """Move to `new_status` if the workflow allows it, keeping the timestamps consistent."""
    current = service_request.status
    if new_status == current:
        return []
    if not workflow.can_transition(current, new_status):
        allowed = workflow.allowed_transitions(current)
        raise Conflict(
            f"A request that is {current} cannot move to {new_status}. "
            + (f"Allowed: {', '.join(allowed)}." if allowed else f"{current} is final."),
            details={"status": current, "requested_status": new_status, "allowed_transitions": allowed},
        )
    now = timezone.now()
    service_request.status = new_status
    if new_status == Status.RESOLVED:
        service_request.resolved_at = now
    elif new_status in workflow.OPEN_STATUSES or new_status == Status.CANCELLED:
        service_request.resolved_at = None
    if new_status == Status.CLOSED:
        service_request.closed_at = now
    if new_status == Status.CANCELLED:
        service_request.cancelled_at = now
    return ["status", "resolved_at", "closed_at", "cancelled_at"]


@transaction.atomic
def service_request_update(
    *,
    acting_user: User,
    service_request: ServiceRequest,
    status: str = _UNSET,
    details: str = _UNSET,
    resolution_details: str = _UNSET,
    request_type: RequestType = _UNSET,
) -> ServiceRequest:
    """Apply a staff member's changes; the status follows the workflow."""
    # Lock the row so two agents' updates apply one after the other, never interleaved.
    locked = (
        ServiceRequest.objects.select_for_update().select_related("request_type", "customer").get(pk=service_request.pk)
    )
    changed: list[str] = []
    if status is not _UNSET:
        changed += _apply_status(locked, status)
    for field, value in (("details", details), ("resolution_details", resolution_details)):
        if value is not _UNSET and getattr(locked, field) != value:
            setattr(locked, field, value)
            changed.append(field)
    if request_type is not _UNSET and locked.request_type_id != request_type.pk:
        locked.request_type = request_type
        changed.append("request_type")
    if changed:
        locked.full_clean(exclude=["customer", "request_type"], validate_constraints=False)
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


@transaction.atomic
def service_request_delete(*, acting_user: User, service_request: ServiceRequest) -> None:
    """Delete a request (staff only)."""
    service_request.delete()
