"""Every write to service requests: submission, the workflow, notes, attachments, deletion.

Each function records what it changed on the request's timeline (`RequestEvent`)
and queues the emails that follow (sent after commit). The API, the web pages
and the Django admin all call these, so a rule is written once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import partial, wraps
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User, UserManager
from accounts.validators import normalize_phone_number
from core.concurrency import check_version
from core.exceptions import Conflict, Forbidden, NotFound
from core.transactions import on_rollback
from emergencies import services as emergency_services
from emergencies.models import Emergency

from . import notifications, search, workflow
from .attachments import validate_uploads
from .attributes import clean_answers
from .models import (
    Attachment,
    ExportJob,
    Priority,
    RequestEscalation,
    RequestEvent,
    RequestType,
    ServiceRequest,
    generate_reference,
)

logger = logging.getLogger(__name__)
Status = ServiceRequest.Status
Kind = RequestEvent.Kind
# "Not given" (None is a value: no assignee). Typed Any so that it can be every argument's default.
_UNSET: Any = object()


def _event(
    service_request: ServiceRequest,
    kind: str,
    actor: User | None,
    *,
    is_internal: bool = False,
    field: str = "",
    old: Any = "",
    new: Any = "",
    body: str = "",
) -> RequestEvent:
    """A timeline entry for the request, not yet saved (`_record` saves one; several go in one INSERT)."""
    return RequestEvent(
        service_request=service_request,
        request_reference=service_request.reference,
        kind=kind,
        actor=actor,
        actor_name=actor.name or actor.username if actor else "",
        is_internal=is_internal,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        body=body,
    )


def _record(service_request: ServiceRequest, kind: str, actor: User | None, **fields: Any) -> RequestEvent:
    """Append an event to the request's timeline."""
    event = _event(service_request, kind, actor, **fields)
    event.save(force_insert=True)
    return event


def access_service_request(
    user: User,
    request_id: int | str,
    *,
    as_staff: bool = False,
    as_engineer: bool = False,
    lock: bool = False,
    queryset: QuerySet[ServiceRequest] | None = None,
) -> ServiceRequest:
    """The request `request_id` if `user` may act on it; otherwise NotFound, never saying whether it exists.

    Customers reach only their own requests (staff too, on the customer interfaces); with
    `as_staff`, active agents and admins reach any; with `as_engineer`, an engineer also
    reaches the request of the emergency dispatched to them (and no other). Every interface
    (API, pages, downloads, Open311, jobs) and every customer service goes through here.
    `lock` takes the row lock; `queryset` adds the caller's joins and prefetches.
    """
    if not (user is not None and user.is_authenticated and user.is_active):
        raise NotFound()
    if as_staff and not user.is_staff:
        raise Forbidden("Only agents and admins can work on service requests.")
    if as_engineer and not user.is_engineer:
        raise Forbidden("Only engineers act on the emergencies dispatched to them.")
    requests = ServiceRequest.objects.all() if queryset is None else queryset
    if as_engineer:
        # A subquery, not a join: a row lock cannot take the nullable side of an outer join.
        dispatched = Emergency.objects.filter(engineer=user).values("service_request_id")
        requests = requests.filter(Q(customer=user) | Q(pk__in=dispatched))
    elif not as_staff:
        requests = requests.filter(customer=user)
    if lock:
        # No select_related with the lock: PostgreSQL cannot lock the nullable side of an outer join.
        requests = requests.select_related(None).select_for_update()
    try:
        found: ServiceRequest = requests.get(pk=int(request_id))
    except (ServiceRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    return found


def access_attachment(
    user: User, request_id: int | str, attachment_id: int | str, *, as_staff: bool = False
) -> Attachment:
    """An attachment of a request `user` may reach; customers never reach internal files."""
    service_request = access_service_request(user, request_id, as_staff=as_staff)
    attachments = service_request.attachments.all() if as_staff else service_request.attachments.public()
    try:
        found: Attachment = attachments.get(pk=int(attachment_id))
    except (Attachment.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    return found


def validate_text(**fields: tuple[str, int]) -> None:
    """Refuse empty or over-long text: `field=(value, max_length)`, each error under its field's name."""
    errors = {}
    for field, (value, max_length) in fields.items():
        if not isinstance(value, str) or not value.strip():
            errors[field] = ["This field may not be blank."]
        elif len(value) > max_length:
            errors[field] = [f"Ensure this field has no more than {max_length} characters."]
    if errors:
        raise ValidationError(errors)


def _text_limit() -> int:
    return int(settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH)


REASON_MAX_LENGTH = 1000


def validate_request_type(request_type: RequestType, field: str = "type_of_request") -> None:
    """Refuse a request type that is no longer offered."""
    if not request_type.is_active:
        raise ValidationError({field: [f'"{request_type.name}" is no longer offered. Choose another type.']})


def _lock(service_request: ServiceRequest) -> ServiceRequest:
    """Re-read the request under a row lock, so concurrent changes apply one after the other."""
    # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
    locked: ServiceRequest = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
    return locked


def _store_attachments(
    service_request: ServiceRequest,
    uploads: Sequence[UploadedFile],
    content_types: list[str],
    actor: User | None,
    *,
    is_internal: bool = False,
    events: list[RequestEvent] | None = None,
) -> list[Attachment]:
    """Store the files and their timeline events; with `events`, add the events to it for the caller to insert."""
    stored, added = [], []
    for upload, content_type in zip(uploads, content_types, strict=True):
        attachment = Attachment(
            service_request=service_request,
            original_name=(upload.name or "file")[-255:],
            content_type=content_type,
            size=cast(int, upload.size),
            uploaded_by=actor,
            is_internal=is_internal,
        )
        attachment.file.save(upload.name or "file", upload, save=False)
        # The file is not part of the transaction: if it rolls back (here, or in a caller's
        # transaction after this returns), the file goes too.
        on_rollback(partial(attachment.file.storage.delete, attachment.file.name))
        stored.append(attachment)
        attachment.save()
        added.append(
            _event(service_request, Kind.ATTACHMENT, actor, is_internal=is_internal, new=attachment.original_name)
        )
    if events is None:
        RequestEvent.objects.bulk_create(added)
    else:
        events += added
    return stored


def validate_position(latitude: float | None, longitude: float | None) -> None:
    """Refuse half a position, or one off the globe (WGS84 degrees)."""
    errors = {}
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        errors[missing] = ["Give both latitude and longitude, or neither."]
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = ["Latitude must be between -90 and 90 degrees."]
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = ["Longitude must be between -180 and 180 degrees."]
    if errors:
        raise ValidationError(errors)


def service_request_submit(
    *,
    customer: User | None,
    request_type: RequestType,
    details: str,
    files: Sequence[UploadedFile] = (),
    channel: str = ServiceRequest.Channel.API,
    address: str | None = None,
    postcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    emergency_report: emergency_services.EmergencyReport | None = None,
    entered_by: User | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> ServiceRequest:
    """File a new request: Pending, due by its type's target, emergencies flagged.

    `customer` is the account submitting it, or None for a report made without one
    (then the contact fields say who to call back). The location defaults to the
    customer's address. `attributes` answers the type's questions ({code: answer}):
    every wrong answer is refused at once (`attributes.InvalidAnswers`). An emergency
    type also gets its emergency record, in this transaction, whatever the channel
    (`emergencies.services.emergency_open`), with the answers of `emergency_report` (an
    `emergencies.services.EmergencyReport`) when given. `entered_by` is the staff member
    who typed in a phoned-in report (the timeline's actor).
    """
    arguments: dict[str, Any] = dict(
        customer=customer,
        request_type=request_type,
        details=details,
        files=files,
        channel=channel,
        address=address,
        postcode=postcode,
        latitude=latitude,
        longitude=longitude,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        emergency_report=emergency_report,
        entered_by=entered_by,
        attributes=attributes,
    )
    reference = generate_reference()
    for attempt in range(3):
        try:
            # The whole submission in one transaction (a savepoint inside a caller's): when the reference
            # is taken, it rolls back and runs again with a new one. No savepoint around the INSERT alone,
            # so a submission costs two statements fewer.
            with transaction.atomic():
                return _submit(reference=reference, **arguments)
        except IntegrityError:
            if attempt == 2 or not ServiceRequest.objects.filter(reference=reference).exists():
                raise
            reference = generate_reference()
    raise AssertionError("unreachable")


def _submit(
    *,
    reference: str,
    customer: User | None,
    request_type: RequestType,
    details: str,
    files: list[UploadedFile],
    channel: str,
    address: str | None,
    postcode: str,
    latitude: float | None,
    longitude: float | None,
    contact_name: str,
    contact_email: str,
    contact_phone: str,
    emergency_report: emergency_services.EmergencyReport | None,
    entered_by: User | None,
    attributes: Mapping[str, Any] | None,
) -> ServiceRequest:
    if customer is not None and not (customer.is_authenticated and customer.is_active):
        raise Forbidden("Only an active account can submit a request.")
    validate_request_type(request_type)
    validate_text(details=(details, _text_limit()))
    answers = clean_answers(request_type, attributes)
    files = list(files)
    content_types = validate_uploads(files) if files else []
    now = timezone.now()
    if address is None:
        address = customer.address if customer is not None else ""
    service_request = ServiceRequest(
        reference=reference,
        customer=customer,
        request_type=request_type,
        details=details,
        attributes=answers,
        priority=Priority.EMERGENCY if request_type.is_emergency else Priority.NORMAL,
        channel=channel,
        address=address,
        postcode=postcode,
        latitude=latitude,
        longitude=longitude,
        contact_name=contact_name,
        contact_email=UserManager.normalize_email(contact_email),
        contact_phone=normalize_phone_number(contact_phone),
        submitted_at=now,
        due_at=now + request_type.target_resolution_time,
    )
    validate_position(latitude, longitude)
    service_request.full_clean(
        exclude=["customer", "request_type", "assignee"], validate_unique=False, validate_constraints=False
    )
    service_request.save(force_insert=True)
    search.index_requests([service_request], new=True)
    events = [_event(service_request, Kind.SUBMITTED, entered_by or customer, new=Status.PENDING)]
    attachments = _store_attachments(service_request, files, content_types, customer, events=events)
    RequestEvent.objects.bulk_create(events)  # the timeline in one INSERT
    if request_type.is_emergency:
        emergency_services.emergency_open(
            service_request=service_request, report=emergency_report, entered_by=entered_by
        )
        _alert_emergency(service_request)
    elif all(event.pk for event in events):
        # The timeline and files are what this call wrote: the caller's response needs no query for them.
        service_request._prefetched_objects_cache = {"events": events, "attachments": attachments}  # type: ignore[attr-defined]
        # ...and so is what its customer may see of them (`customer_timeline()`, the public() rule).
        service_request.public_events = [event for event in events if not event.is_internal]
        service_request.public_attachments = [attachment for attachment in attachments if not attachment.is_internal]
    return service_request


def _alert_emergency(service_request: ServiceRequest) -> None:
    """Log at WARNING and alert the on-call address: on submission, or when reclassified."""
    logger.warning(
        "Emergency request %s (%s) reported via %s by %s",
        service_request.reference,
        service_request.request_type.name,
        service_request.channel,
        service_request.customer.customer_id if service_request.customer else "a reporter without an account",
    )
    notifications.notify_oncall_of_emergency(service_request)


def _change_status(service_request: ServiceRequest, new_status: str) -> None:
    """Move to `new_status` if the workflow allows it, keeping the timestamps consistent."""
    workflow.check_transition(service_request.status, new_status)
    now = timezone.now()
    service_request.status = new_status
    if new_status == Status.RESOLVED:
        service_request.resolved_at = now
    elif new_status != Status.CLOSED:
        service_request.resolved_at = None
    service_request.closed_at = now if new_status == Status.CLOSED else None
    service_request.cancelled_at = now if new_status == Status.CANCELLED else None


def validate_assignee(assignee: User | None) -> None:
    """Refuse an assignee who may not be assigned (`User.is_assignable`: an active agent or admin)."""
    if assignee is not None and not assignee.is_assignable:
        raise ValidationError({"assignee": ["Requests can only be assigned to active agents or admins."]})


# --- Staff changes: one action per function --------------------------------------------
#
# Each action changes one thing, records it on the timeline and saves it. Called alone, an
# action opens its own transaction and locks the row. To apply several in one transaction
# (a PATCH, the staff console's form, the admin), lock once with `service_request_lock` inside
# `transaction.atomic()` and pass the locked request to each: `service_request_update` does.


def service_request_lock(
    *, acting_user: User, service_request: ServiceRequest, expected_version: int | None = None
) -> ServiceRequest:
    """Lock a request for a staff member's changes, inside the caller's transaction.

    With `expected_version` (from If-Match or the form), refuse if it changed since it was read.
    """
    if not acting_user.is_staff:
        raise Forbidden("Only agents and admins can change a service request.")
    locked = access_service_request(acting_user, service_request.pk, as_staff=True, lock=True)
    check_version(locked, expected_version, field="staff_updated_at")
    locked._locked_for = acting_user.pk
    return locked


def _staff_action(action: Callable[..., None]) -> Callable[..., ServiceRequest]:
    """Run `action` on a request locked for the acting user: the caller's lock, or its own transaction's.

    A request from `service_request_lock` is trusted only inside a transaction: pass it on
    within the transaction that locked it, never to a later one.
    """

    @wraps(action)
    def run(*, acting_user: User, service_request: ServiceRequest, **values: Any) -> ServiceRequest:
        if (
            getattr(service_request, "_locked_for", None) == acting_user.pk
            and transaction.get_connection().in_atomic_block
        ):
            action(acting_user=acting_user, service_request=service_request, **values)
            return service_request
        with transaction.atomic():
            locked = service_request_lock(acting_user=acting_user, service_request=service_request)
            action(acting_user=acting_user, service_request=locked, **values)
            return locked

    return run


def _save_staff_change(service_request: ServiceRequest, fields: list[str], *, public: bool) -> None:
    service_request.full_clean(
        exclude=["customer", "request_type", "assignee"], validate_unique=False, validate_constraints=False
    )
    service_request.save(update_fields=[*fields, *service_request.touch(public=public)])


@_staff_action
def service_request_reclassify(
    *, acting_user: User, service_request: ServiceRequest, request_type: RequestType, raise_priority: bool = True
) -> None:
    """Change a request's type: its due time follows; becoming an emergency opens its record.

    An emergency type also raises the priority to Emergency, unless `raise_priority` is False
    (the caller sets a priority of its own in the same change). Leaving the emergency types
    stands the record down (it is kept).
    """
    locked = service_request
    if request_type.pk == locked.request_type_id:
        return
    validate_request_type(request_type)
    was_emergency = locked.request_type.is_emergency
    _record(
        locked, Kind.UPDATED, acting_user, field="type_of_request", old=locked.request_type.name, new=request_type.name
    )
    locked.request_type = request_type
    locked.due_at = locked.submitted_at + request_type.target_resolution_time
    _save_staff_change(locked, ["request_type", "due_at"], public=True)
    if request_type.is_emergency != was_emergency:
        if request_type.is_emergency:
            # The clock runs from the submission: the utility has had the report since then.
            emergency_services.emergency_open(service_request=locked, entered_by=acting_user)
            _alert_emergency(locked)
        else:
            emergency_services.emergency_stand_down(
                acting_user=acting_user, service_request=locked, reason=f"Reclassified as {request_type.name}."
            )
    if request_type.is_emergency and raise_priority:
        service_request_reprioritise(acting_user=acting_user, service_request=locked, priority=Priority.EMERGENCY)


def validate_edit(*, details: str = _UNSET, resolution_details: str = _UNSET) -> None:
    """Refuse empty or over-long details, or an over-long resolution (it may be cleared)."""
    if details is not _UNSET:
        validate_text(details=(details, _text_limit()))
    if resolution_details is not _UNSET and resolution_details:
        validate_text(resolution_details=(resolution_details, _text_limit()))


@_staff_action
def service_request_edit(
    *, acting_user: User, service_request: ServiceRequest, details: str = _UNSET, resolution_details: str = _UNSET
) -> None:
    """Change the request's text: its details, and the resolution the customer is shown (may be cleared)."""
    locked = service_request
    validate_edit(details=details, resolution_details=resolution_details)
    changed = []
    for field, value in (("details", details), ("resolution_details", resolution_details)):
        if value is not _UNSET and value != getattr(locked, field):
            _record(locked, Kind.UPDATED, acting_user, field=field, old=getattr(locked, field), new=value)
            setattr(locked, field, value)
            changed.append(field)
    if changed:
        _save_staff_change(locked, changed, public=True)
    if "details" in changed:
        search.index_requests([locked])


@_staff_action
def service_request_reprioritise(*, acting_user: User, service_request: ServiceRequest, priority: int) -> None:
    """Change the priority; internal: the customer's view does not move."""
    locked = service_request
    if priority == locked.priority:
        return
    _record(
        locked,
        Kind.PRIORITY_CHANGED,
        acting_user,
        is_internal=True,
        field="priority",
        old=locked.get_priority_display(),
        new=Priority(priority).label,
    )
    locked.priority = priority
    _save_staff_change(locked, ["priority"], public=False)


@_staff_action
def service_request_assign(*, acting_user: User, service_request: ServiceRequest, assignee: User | None) -> None:
    """Assign the request to an assignable staff member, or to nobody (None); internal."""
    locked = service_request
    if (assignee.pk if assignee else None) == locked.assignee_id:
        return
    validate_assignee(assignee)
    _record(
        locked,
        Kind.ASSIGNED,
        acting_user,
        is_internal=True,
        field="assignee",
        old=locked.assignee.name if locked.assignee else "",
        new=assignee.name if assignee else "",
    )
    locked.assignee = assignee
    _save_staff_change(locked, ["assignee"], public=False)


@_staff_action
def service_request_transition(*, acting_user: User, service_request: ServiceRequest, status: str) -> None:
    """Move the request along the workflow (`workflow.TRANSITIONS`); the customer is emailed."""
    locked = service_request
    if status == locked.status:
        return
    old_status = locked.status
    _change_status(locked, status)
    event = _record(locked, Kind.STATUS_CHANGED, acting_user, field="status", old=old_status, new=status)
    _save_staff_change(locked, ["status", "resolved_at", "closed_at", "cancelled_at"], public=True)
    notifications.notify_customer_of_update(locked, event)


@transaction.atomic
def service_request_update(
    *,
    acting_user: User,
    service_request: ServiceRequest,
    status: str = _UNSET,
    priority: int = _UNSET,
    assignee: User | None = _UNSET,
    details: str = _UNSET,
    resolution_details: str = _UNSET,
    request_type: RequestType = _UNSET,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Apply a staff member's changes (a PATCH, the console's form, the admin) in one transaction.

    Calls the actions above in turn, in this order: type, text, priority, assignee, status
    (the customer's email then describes the request as it ends up).
    """
    locked = service_request_lock(
        acting_user=acting_user, service_request=service_request, expected_version=expected_version
    )
    # Refuse bad text before any action writes (a reclassification would alert the on-call desk).
    validate_edit(details=details, resolution_details=resolution_details)
    if request_type is not _UNSET:
        service_request_reclassify(
            acting_user=acting_user,
            service_request=locked,
            request_type=request_type,
            raise_priority=priority is _UNSET,
        )
    if details is not _UNSET or resolution_details is not _UNSET:
        service_request_edit(
            acting_user=acting_user, service_request=locked, details=details, resolution_details=resolution_details
        )
    if priority is not _UNSET:
        service_request_reprioritise(acting_user=acting_user, service_request=locked, priority=priority)
    if assignee is not _UNSET:
        service_request_assign(acting_user=acting_user, service_request=locked, assignee=assignee)
    if status is not _UNSET:
        service_request_transition(acting_user=acting_user, service_request=locked, status=status)
    return locked


def _customer_action_conflict(service_request: ServiceRequest, action: str, reason: str) -> Conflict:
    return Conflict(
        f"You cannot {action} this request: {reason}",
        details={"status": service_request.status, "reference": service_request.reference},
    )


@transaction.atomic
def service_request_cancel(*, customer: User, service_request: ServiceRequest, reason: str = "") -> ServiceRequest:
    """Let a customer cancel their own open request."""
    locked = access_service_request(customer, service_request.pk, lock=True)
    if reason:
        validate_text(reason=(reason, REASON_MAX_LENGTH))
    if not workflow.customer_can_cancel(locked):
        raise _customer_action_conflict(
            locked, "cancel", f"it is {locked.status}; only open requests can be cancelled."
        )
    old_status = locked.status
    _change_status(locked, Status.CANCELLED)
    locked.save(update_fields=["status", "resolved_at", "closed_at", "cancelled_at", *locked.touch(public=True)])
    _record(locked, Kind.CANCELLED, customer, field="status", old=old_status, new=Status.CANCELLED, body=reason)
    return locked


@transaction.atomic
def service_request_reopen(*, customer: User, service_request: ServiceRequest, reason: str = "") -> ServiceRequest:
    """Let a customer reopen their Resolved request within the reopen window."""
    locked = access_service_request(customer, service_request.pk, lock=True)
    if reason:
        validate_text(reason=(reason, REASON_MAX_LENGTH))
    if not workflow.customer_can_reopen(locked):
        days = workflow.reopen_window().days
        raise _customer_action_conflict(
            locked, "reopen", f"only a Resolved request can be reopened, within {days} days of its resolution."
        )
    new_status = workflow.reopen_status(locked)
    _change_status(locked, new_status)
    locked.save(update_fields=["status", "resolved_at", "closed_at", "cancelled_at", *locked.touch(public=True)])
    event = _record(locked, Kind.REOPENED, customer, field="status", old=Status.RESOLVED, new=new_status, body=reason)
    notifications.notify_assignee_of_comment(locked, event)
    return locked


def _ensure_accepts_additions(service_request: ServiceRequest) -> None:
    if not service_request.accepts_additions:
        raise _customer_action_conflict(
            service_request, "add to", f"it is {service_request.status}. Submit a new request instead."
        )


@transaction.atomic
def service_request_comment(*, customer: User, service_request: ServiceRequest, body: str) -> RequestEvent:
    """Let a customer add information to their request; the assignee is told."""
    locked = access_service_request(customer, service_request.pk, lock=True)
    validate_text(body=(body, _text_limit()))
    _ensure_accepts_additions(locked)
    event = _record(locked, Kind.COMMENT, customer, body=body)
    locked.save(update_fields=locked.touch(public=True))
    notifications.notify_assignee_of_comment(locked, event)
    return event


@transaction.atomic
def service_request_add_note(
    *, acting_user: User, service_request: ServiceRequest, body: str, is_internal: bool
) -> RequestEvent:
    """Add a staff note: internal notes stay with staff; public ones are emailed to the customer."""
    locked = access_service_request(acting_user, service_request.pk, as_staff=True, lock=True)
    validate_text(body=(body, _text_limit()))
    event = _record(locked, Kind.NOTE, acting_user, is_internal=is_internal, body=body)
    locked.save(update_fields=locked.touch(public=not is_internal))
    if not is_internal:
        notifications.notify_customer_of_update(locked, event)
    return event


@transaction.atomic
def service_request_attach(
    *, acting_user: User, service_request: ServiceRequest, files: list[UploadedFile], is_internal: bool = False
) -> list[Attachment]:
    """Attach files (customer or staff); all are checked before any is stored.

    Staff may mark them internal: never shown or served to the customer.
    """
    # Engineers reach this only through emergencies.services, for the emergency dispatched to them.
    if is_internal and not (acting_user.is_staff or acting_user.is_engineer):
        raise Forbidden("Only staff can attach internal files.")
    locked = access_service_request(
        acting_user,
        service_request.pk,
        as_staff=acting_user.is_staff,
        as_engineer=acting_user.is_engineer,
        lock=True,
    )
    if not acting_user.is_staff:
        _ensure_accepts_additions(locked)
    content_types = validate_uploads(list(files), existing=locked.attachments.count())
    attachments = _store_attachments(locked, list(files), content_types, acting_user, is_internal=is_internal)
    locked.save(update_fields=locked.touch(public=not is_internal))
    return attachments


@transaction.atomic
def service_request_delete(*, acting_user: User, service_request: ServiceRequest) -> None:
    """Delete a request (admins only). Its timeline is kept, with a final 'deleted' event."""
    if not acting_user.is_admin:
        raise Forbidden("Only administrators can delete service requests.")
    locked = _lock(service_request)
    if Emergency.objects.filter(service_request=locked).exists():
        raise Conflict(
            f"{locked.reference} is a gas-emergency record, which must be kept: it cannot be deleted.",
            details={"reference": locked.reference},
        )
    _record(locked, Kind.DELETED, acting_user, is_internal=True, old=locked.status, body=locked.details)
    files = [attachment.file for attachment in locked.attachments.all()]
    locked.delete()
    transaction.on_commit(lambda: [file.delete(save=False) for file in files])


@transaction.atomic
def service_request_add_reporter_update(
    *, service_request: ServiceRequest, body: str, author_name: str, reopen: bool = False
) -> list[RequestEvent]:
    """Record an update sent by another system on the reporter's behalf (Open311's servicerequestupdates).

    It is a public comment by `author_name`, not by an account, and the assignee is told.
    With `reopen`, a Resolved request is reopened as its customer could (within the reopen
    window); nothing else about the workflow can be changed this way. Returns the events
    written: the comment, then the reopening if there was one.
    """
    locked = _lock(service_request)
    comment = RequestEvent.objects.create(
        service_request=locked,
        request_reference=locked.reference,
        kind=Kind.COMMENT,
        actor=None,
        actor_name=author_name[:150],
        body=body,
    )
    events = [comment]
    if reopen and workflow.customer_can_reopen(locked):
        new_status = workflow.reopen_status(locked)
        _change_status(locked, new_status)
        events.append(
            RequestEvent.objects.create(
                service_request=locked,
                request_reference=locked.reference,
                kind=Kind.REOPENED,
                actor=None,
                actor_name=author_name[:150],
                field="status",
                old_value=Status.RESOLVED,
                new_value=new_status,
            )
        )
        locked.save(update_fields=["status", "resolved_at", "closed_at", "cancelled_at", *locked.touch(public=True)])
    else:
        locked.save(update_fields=locked.touch(public=True))
    notifications.notify_assignee_of_comment(locked, comment)
    return events


def escalation_recipients(service_request: ServiceRequest, stage: str) -> list[str]:
    """Who an overdue request alerts: its assignee, or the queue owner (SLA_QUEUE_OWNER_EMAIL) when it
    has none (or the assignee can no longer work it); at the second stage, the queue owner as well."""
    assignee = service_request.assignee
    working = assignee if assignee is not None and assignee.is_assignable else None
    owner = list(settings.SLA_QUEUE_OWNER_EMAIL)
    if stage == RequestEscalation.Stage.OVERDUE:
        return [working.email] if working else owner
    return list(dict.fromkeys(([working.email] if working else []) + owner))


@transaction.atomic
def service_request_escalate(
    *, service_request: ServiceRequest, stage: str, recipients: list[str], template: str = "sla_overdue"
) -> RequestEscalation | None:
    """Record that a request reached an escalation `stage` and alert `recipients`, once per stage.

    Returns None, doing nothing, if the request already reached that stage (another run of the
    job, or another worker, was first): the unique (request, stage) row decides.
    """
    try:
        with transaction.atomic():
            escalation = RequestEscalation.objects.create(
                service_request=service_request, stage=stage, recipients=recipients
            )
    except IntegrityError:
        return None
    _record(
        service_request,
        Kind.ESCALATED,
        None,
        is_internal=True,
        field="escalation",
        new=RequestEscalation.Stage(stage).label,
        body="Alerted " + ", ".join(recipients),
    )
    notifications.notify_escalation(service_request, escalation, template=template)
    return escalation


@transaction.atomic
def export_job_start(*, acting_user: User, query: str) -> ExportJob:
    """Start building a CSV export of the staff queue filtered by `query` (a query string); staff only."""
    if not acting_user.is_staff:
        raise Forbidden("Only agents and admins can export the queue.")
    now = timezone.now()
    job = ExportJob.objects.create(
        requested_by=acting_user,
        query=query,
        created_at=now,
        expires_at=now + timedelta(hours=settings.EXPORT_RETENTION_HOURS),
    )
    transaction.on_commit(partial(_enqueue_export, job.pk))
    return job


def _enqueue_export(job_id: object) -> None:
    from .tasks import build_export

    try:
        build_export.delay(str(job_id))
    except Exception:
        # The broker is down: the job stays pending and restart_stalled_exports enqueues it again.
        logger.exception("Could not enqueue export %s; it will be retried", job_id)
