"""Every write to service requests: submission, the workflow, notes, attachments, deletion.

Each function records what it changed on the request's timeline (`RequestEvent`)
and queues the emails that follow (sent after commit). The API, the web pages
and the Django admin all call these, so a rule is written once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User, UserManager
from accounts.validators import normalize_phone_number
from core.api.concurrency import check_version
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


def _record(
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
    """Append an event to the request's timeline."""
    return RequestEvent.objects.create(
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
    attachments = service_request.attachments.all()
    if not as_staff:
        attachments = attachments.filter(is_internal=False)
    try:
        return attachments.get(pk=int(attachment_id))
    except (Attachment.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


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
) -> list[Attachment]:
    stored = []
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
        _record(service_request, Kind.ATTACHMENT, actor, is_internal=is_internal, new=attachment.original_name)
    return stored


def _insert_with_unique_reference(service_request: ServiceRequest, attempts: int = 3) -> None:
    """Insert, drawing a new reference in the (one in 10^11) case the random one is taken."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                service_request.save(force_insert=True)
            return
        except IntegrityError:
            if (
                attempt == attempts - 1
                or not ServiceRequest.objects.filter(reference=service_request.reference).exists()
            ):
                raise
            service_request.reference = generate_reference()


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


@transaction.atomic
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
    _insert_with_unique_reference(service_request)
    search.index_requests([service_request], new=True)
    _record(service_request, Kind.SUBMITTED, entered_by or customer, new=Status.PENDING)
    _store_attachments(service_request, files, content_types, customer)
    if request_type.is_emergency:
        emergency_services.emergency_open(
            service_request=service_request, report=emergency_report, entered_by=entered_by
        )
        _alert_emergency(service_request)
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
    """Refuse an assignee who is not an active agent or admin."""
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise ValidationError({"assignee": ["Requests can only be assigned to active agents or admins."]})


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
    """Apply a staff member's changes; the status follows the workflow; each change is on the timeline.

    With `expected_version` (from If-Match), refuse if the request changed since it was read.
    """
    if not acting_user.is_staff:
        raise Forbidden("Only agents and admins can change a service request.")
    locked = access_service_request(acting_user, service_request.pk, as_staff=True, lock=True)
    check_version(locked, expected_version, field="staff_updated_at")
    if request_type is not _UNSET and request_type.pk != locked.request_type_id:
        validate_request_type(request_type)
    if details is not _UNSET:
        validate_text(details=(details, _text_limit()))
    if resolution_details is not _UNSET and resolution_details:
        validate_text(resolution_details=(resolution_details, _text_limit()))
    changed: list[str] = []
    events: list[RequestEvent] = []

    if request_type is not _UNSET and request_type.pk != locked.request_type_id:
        was_emergency = locked.request_type.is_emergency
        events.append(
            _record(
                locked,
                Kind.UPDATED,
                acting_user,
                field="type_of_request",
                old=locked.request_type.name,
                new=request_type.name,
            )
        )
        locked.request_type = request_type
        locked.due_at = locked.submitted_at + request_type.target_resolution_time
        changed += ["request_type", "due_at"]
        if request_type.is_emergency and priority is _UNSET:
            priority = Priority.EMERGENCY
        if request_type.is_emergency != was_emergency:
            if request_type.is_emergency:
                # The clock runs from the submission: the utility has had the report since then.
                emergency_services.emergency_open(service_request=locked, entered_by=acting_user)
                _alert_emergency(locked)
            else:
                emergency_services.emergency_stand_down(
                    acting_user=acting_user, service_request=locked, reason=f"Reclassified as {request_type.name}."
                )
    for field, value in (("details", details), ("resolution_details", resolution_details)):
        if value is not _UNSET and value != getattr(locked, field):
            events.append(
                _record(locked, Kind.UPDATED, acting_user, field=field, old=getattr(locked, field), new=value)
            )
            setattr(locked, field, value)
            changed.append(field)
    if priority is not _UNSET and priority != locked.priority:
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
        changed.append("priority")
    if assignee is not _UNSET and (assignee.pk if assignee else None) != locked.assignee_id:
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
        changed.append("assignee")
    status_event = None
    if status is not _UNSET and status != locked.status:
        old_status = locked.status
        _change_status(locked, status)
        status_event = _record(locked, Kind.STATUS_CHANGED, acting_user, field="status", old=old_status, new=status)
        changed += ["status", "resolved_at", "closed_at", "cancelled_at"]

    if changed:
        locked.full_clean(
            exclude=["customer", "request_type", "assignee"], validate_unique=False, validate_constraints=False
        )
        # Priority and assignee are internal: the customer's view (and ETag) moves only for the rest.
        public = bool(set(changed) - {"priority", "assignee"})
        locked.save(update_fields=[*changed, *locked.touch(public=public)])
    if "details" in changed:
        search.index_requests([locked])
    if status_event is not None:
        notifications.notify_customer_of_update(locked, status_event)
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
    if service_request.status in (Status.CLOSED, Status.CANCELLED):
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
    working = assignee if assignee is not None and assignee.is_active and assignee.is_staff else None
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
