"""Every write to the emergency record (see `emergencies.models` for the rules it keeps).

Each function appends one `EmergencyEvent`, recomputes the record's summary columns from its
events (`emergency_refresh`) and mirrors the event on the request's timeline (a
`RequestEvent` of kind ``emergency``; public or internal per `EmergencyEvent.PUBLIC_KINDS`),
all in one transaction, under a row lock on the record. Nothing here updates or deletes an
event. The API, the admin, `utility_services.services` (submission and reclassification of
requests, so every channel gets a record) and the escalation job call these.

Who may do what (checked here, whatever the caller checked):

- dispatchers (agents and admins, active): phone entry, dispatch, classification override,
  any step on an engineer's behalf, actions, advice, notes, incidents, regulator notification,
  time corrections, the reason for a missed deadline;
- the engineer currently dispatched to the record (role ``engineer``, active): the response
  steps, actions, advice, notes, incidents and photos of that record only;
- supervisors (admins, and agents named in ``EMERGENCY_SUPERVISOR_USERNAMES``): the review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import PriorityServicesRegistration, User
from core.exceptions import Conflict, Forbidden
from utility_services.models import RequestEvent, RequestType, ServiceRequest

from . import notifications
from .models import (
    CLOSED_STAGES,
    MAKE_SAFE_HOURS,
    STANDARD_HOURS,
    UNCONTROLLED_HOURS,
    Classification,
    Emergency,
    EmergencyEvent,
    MissedDeadline,
    Stage,
)

Kind = EmergencyEvent.Kind
# Entered times may run this far ahead of the server's clock (a phone's clock, a slow network).
CLOCK_SKEW = timedelta(minutes=2)
# How far back staff may date a phoned-in report's time of call.
BACKDATE_LIMIT = timedelta(hours=24)
STEP_KINDS = (Kind.EN_ROUTE, Kind.ARRIVED, Kind.MADE_SAFE, Kind.CLEARED, Kind.DEFERRED)
RECORD_KINDS = (Kind.ACTION, Kind.ADVICE, Kind.NOTE)
# What the reporter reads on their request's timeline for each public step.
PUBLIC_TEXT: dict[str, str] = {
    Kind.RECEIPT: "Gas emergency report received",
    Kind.DISPATCHED: "An engineer has been dispatched",
    Kind.EN_ROUTE: "An engineer is on the way",
    Kind.ARRIVED: "The engineer has arrived",
    Kind.MADE_SAFE: "The gas escape has been made safe",
    Kind.CLEARED: "Repaired and cleared",
    Kind.DEFERRED: "Made safe; the permanent repair will follow",
    Kind.ADVICE: "Advice given",
}


@dataclass(frozen=True)
class Answers:
    """The reporter's answers to the emergency questions; None means not answered or not known."""

    inside: bool | None = None
    gas_escaping: bool | None = None
    meter_off: bool | None = None
    co_symptoms: bool | None = None
    vulnerable_present: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class EmergencyReport:
    """What an emergency report adds to its request: the answers, where exactly, and when it came in.

    ``received_at`` is the caller's time of call for a report staff enter from the phone;
    None means the request's submission time.
    """

    answers: Answers = field(default_factory=Answers)
    location_details: str = ""
    received_at: datetime | None = None


# The seeded questions of the emergency types (utility_services migration 0007), answered
# through Open311, the API or the portal: {code: {choice key: (Answers field, value)}}.
_YES_NO = {"yes": True, "no": False}
ATTRIBUTE_ANSWERS = {
    "gas_escaping": {key: ("gas_escaping", value) for key, value in _YES_NO.items()},
    "smell_location": {"inside": ("inside", True), "both": ("inside", True), "outside": ("inside", False)},
    "meter_off": {"turned_off": ("meter_off", True), "cannot": ("meter_off", False)},
    "anyone_unwell": {key: ("co_symptoms", value) for key, value in _YES_NO.items()},
    "anyone_vulnerable": {key: ("vulnerable_present", value) for key, value in _YES_NO.items()},
}


def answers_from_attributes(attributes: dict[str, Any]) -> Answers:
    """The emergency answers within a request's question answers; "not sure" stays unknown (None).

    A Carbon Monoxide report's `symptoms` (a list) means CO symptoms unless it is only "none".
    """
    found = {}
    for code, choices in ATTRIBUTE_ANSWERS.items():
        if attributes.get(code) in choices:
            name, value = choices[attributes[code]]
            found[name] = value
    symptoms = attributes.get("symptoms")
    if isinstance(symptoms, list) and symptoms:
        found["co_symptoms"] = any(symptom != "none" for symptom in symptoms)
    return Answers(**found)


def classify(answers: Answers) -> str:
    """Controlled only when turned off at the meter, no longer escaping, and nobody has CO symptoms."""
    controlled = answers.meter_off is True and answers.gas_escaping is False and answers.co_symptoms is not True
    return Classification.CONTROLLED if controlled else Classification.UNCONTROLLED


# --- Who may act -----------------------------------------------------------------------


def is_dispatcher(user: User) -> bool:
    return bool(user and user.is_active and user.is_staff)


def is_supervisor(user: User) -> bool:
    return is_dispatcher(user) and (user.is_admin or user.username in settings.EMERGENCY_SUPERVISOR_USERNAMES)


def is_assigned_engineer(user: User, emergency: Emergency) -> bool:
    return bool(user and user.is_active and user.is_engineer and emergency.engineer_id == user.pk)


def _require_dispatcher(user: User) -> None:
    if not is_dispatcher(user):
        raise Forbidden("Only dispatchers (agents and admins) can do this.")


def _require_responder(user: User, emergency: Emergency) -> None:
    if not (is_dispatcher(user) or is_assigned_engineer(user, emergency)):
        raise Forbidden("Only dispatchers and the engineer dispatched to this emergency can record this.")


# --- Reading the record ----------------------------------------------------------------


def _events(emergency: Emergency) -> list[EmergencyEvent]:
    return list(EmergencyEvent.objects.filter(emergency=emergency).order_by("recorded_at", "id"))


def effective_times(events: list[EmergencyEvent]) -> dict[str, datetime | None]:
    """{summary column: effective time} for every timed kind (module docstring of `models`)."""
    corrected = {}
    for event in sorted(events, key=lambda e: (e.recorded_at, e.pk or 0)):
        if event.kind == Kind.CORRECTION:
            corrected[event.corrects_id] = event.occurred_at
    times: dict[str, datetime | None] = dict.fromkeys(EmergencyEvent.TIMED_KINDS.values())
    for event in events:
        column = EmergencyEvent.TIMED_KINDS.get(event.kind)
        if column:
            when = corrected.get(event.pk, event.occurred_at)
            earliest = times[column]
            if earliest is None or when < earliest:
                times[column] = when
    return times


def effective_time_of(event: EmergencyEvent) -> datetime:
    """An event's time after its latest correction."""
    latest = event.corrections.order_by("-recorded_at", "-id").first()
    return latest.occurred_at if latest else event.occurred_at


def allowed_steps(emergency: Emergency, events: list[EmergencyEvent] | None = None) -> list[str]:
    """The response steps that may be recorded next, in order (what an engineer's buttons offer).

    On the way and arrived follow a dispatch (once per dispatch: a second engineer may be
    sent); made safe follows an arrival; cleared or deferred follow made safe. A cleared or
    stood-down record takes no more steps; a deferred one only its clearing.
    """
    events = _events(emergency) if events is None else events
    if emergency.stage in (Stage.CLEARED, Stage.STOOD_DOWN):
        return []
    if emergency.stage == Stage.DEFERRED:
        return [Kind.CLEARED.value]
    kinds = {event.kind for event in events}
    dispatch_indexes = [index for index, event in enumerate(events) if event.kind == Kind.DISPATCHED]
    allowed = []
    if dispatch_indexes:
        since = {event.kind for event in events[dispatch_indexes[-1] + 1 :]}
        if not since & {Kind.EN_ROUTE, Kind.ARRIVED} and Kind.MADE_SAFE not in kinds:
            allowed.append(Kind.EN_ROUTE.value)
        if Kind.ARRIVED not in since:
            allowed.append(Kind.ARRIVED.value)
    if Kind.ARRIVED in kinds and Kind.MADE_SAFE not in kinds:
        allowed.append(Kind.MADE_SAFE.value)
    if Kind.MADE_SAFE in kinds:
        allowed += [Kind.CLEARED.value, Kind.DEFERRED.value]
    return allowed


def _stage(times: dict[str, datetime | None], events: list[EmergencyEvent]) -> tuple[str, datetime | None]:
    """The stage the events reach, and when the record closed (None while open)."""
    stood_down_at = None
    for event in events:
        if event.kind == Kind.STOOD_DOWN:
            stood_down_at = event.occurred_at
        elif event.kind == Kind.REINSTATED:
            stood_down_at = None
    if stood_down_at is not None:
        return Stage.STOOD_DOWN, stood_down_at
    closings = [time for time in (times["cleared_at"], times["deferred_at"]) if time is not None]
    closed_at = min(closings) if closings else None
    for column, stage in (
        ("cleared_at", Stage.CLEARED),
        ("deferred_at", Stage.DEFERRED),
        ("made_safe_at", Stage.MADE_SAFE),
        ("arrived_at", Stage.ON_SITE),
        ("en_route_at", Stage.EN_ROUTE),
        ("dispatched_at", Stage.DISPATCHED),
    ):
        if times[column] is not None:
            return stage, closed_at
    return Stage.RECEIVED, None


SUMMARY_FIELDS = [
    *EmergencyEvent.TIMED_KINDS.values(),
    "classification",
    "is_vulnerable",
    "stage",
    "engineer",
    "closed_at",
    "standard_deadline_at",
    "deadline_at",
    "make_safe_deadline_at",
    "reviewed_at",
    "has_incident",
    "updated_at",
]


def _apply_summary(emergency: Emergency, events: list[EmergencyEvent]) -> None:
    """Set the summary columns from the events (in memory)."""
    times = effective_times(events)
    for column, value in times.items():
        setattr(emergency, column, value)
    classification = emergency.derived_classification
    engineer_id = None
    reviewed_at = None
    for event in events:
        if event.kind == Kind.CLASSIFICATION_OVERRIDE:
            classification = event.data["to"]
        elif event.kind == Kind.DISPATCHED:
            engineer_id = event.engineer_id
        elif event.kind == Kind.REVIEW and reviewed_at is None:
            reviewed_at = event.recorded_at
    emergency.classification = classification
    emergency.engineer_id = engineer_id
    emergency.reviewed_at = reviewed_at
    emergency.has_incident = any(event.kind == Kind.INCIDENT for event in events)
    emergency.stage, emergency.closed_at = _stage(times, events)
    _apply_deadlines(emergency)


def _apply_deadlines(emergency: Emergency) -> None:
    """The vulnerable flag and the three deadlines, from the received time and classification."""
    emergency.is_vulnerable = emergency.vulnerable_present is True or emergency.on_priority_register
    received = emergency.received_at
    hours = STANDARD_HOURS[Classification(emergency.classification)]
    emergency.standard_deadline_at = received + timedelta(hours=hours)
    emergency.deadline_at = (
        received + timedelta(hours=UNCONTROLLED_HOURS) if emergency.is_vulnerable else emergency.standard_deadline_at
    )
    emergency.make_safe_deadline_at = received + timedelta(hours=MAKE_SAFE_HOURS)


def emergency_refresh(emergency: Emergency, events: list[EmergencyEvent] | None = None) -> Emergency:
    """Recompute and save the record's summary columns from its events (the only writer of them)."""
    _apply_summary(emergency, _events(emergency) if events is None else events)
    emergency.save(update_fields=SUMMARY_FIELDS)
    return emergency


# --- Appending -------------------------------------------------------------------------


def _lock(emergency: Emergency) -> Emergency:
    # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
    locked: Emergency = Emergency.objects.select_for_update().get(pk=emergency.pk)
    return locked


def _when(occurred_at: datetime | None, emergency: Emergency | None, now: datetime) -> datetime:
    """The time an entry happened: now by default; never in the future, never before the receipt."""
    if occurred_at is None:
        return now
    if occurred_at > now + CLOCK_SKEW:
        raise ValidationError({"occurred_at": ["This time is in the future."]})
    if emergency is not None and occurred_at < emergency.received_at:
        raise ValidationError(
            {"occurred_at": [f"This time is before the report was received ({emergency.received_at.isoformat()})."]}
        )
    return occurred_at


def _mirror(emergency: Emergency, event: EmergencyEvent, text: str, body: str = "") -> RequestEvent:
    """Show the event on the request's timeline: public steps in plain words, the rest internal."""
    if abs(event.occurred_at - event.recorded_at) > timedelta(minutes=1):
        body = f"{body}\n(happened at {event.occurred_at.isoformat()})".strip()
    service_request = emergency.service_request
    mirrored = RequestEvent.objects.create(
        service_request=service_request,
        request_reference=emergency.reference,
        kind=RequestEvent.Kind.EMERGENCY,
        actor=event.actor,
        actor_name=event.actor_name,
        is_internal=not event.is_public,
        field=event.kind,
        new_value=text,
        body=body,
        created_at=event.recorded_at,
    )
    # The request's ETags follow its timeline; the reporter's only for what they may see.
    service_request.save(update_fields=service_request.touch(public=not mirrored.is_internal))
    return mirrored


def _append(
    emergency: Emergency,
    events: list[EmergencyEvent],
    kind: str,
    actor: User | None,
    *,
    now: datetime,
    occurred_at: datetime | None = None,
    text: str = "",
    timeline_body: str = "",
    mirror: bool = True,
    **fields: Any,
) -> EmergencyEvent:
    """Insert one event, recompute the summary, mirror it on the timeline: the only way in."""
    event = EmergencyEvent.objects.create(
        emergency=emergency,
        kind=kind,
        recorded_at=now,
        occurred_at=occurred_at or now,
        actor=actor,
        actor_name=(actor.name or actor.username) if actor else "",
        **fields,
    )
    events.append(event)
    emergency_refresh(emergency, events)
    if mirror:
        default = PUBLIC_TEXT.get(kind) or Kind(kind).label
        _mirror(emergency, event, text or default, timeline_body)
    return event


# --- Receipt (called by utility_services.services in the request's own transaction) ---------


def emergency_open(
    *, service_request: ServiceRequest, report: EmergencyReport | None = None, entered_by: User | None = None
) -> Emergency:
    """Create the record of an emergency request, with its receipt: from every channel.

    `service_request_submit` calls this for an emergency type, and `service_request_reclassify`
    when staff reclassify a request as one (then the clock runs from the request's
    submission: the utility had the report since then). A request that already has a record
    (reclassified away and back) gets a ``reinstated`` entry instead of a second record.
    """
    report = report or EmergencyReport(answers=answers_from_attributes(service_request.attributes or {}))
    now = timezone.now()
    existing = Emergency.objects.filter(service_request=service_request).first()
    if existing is not None:
        locked = _lock(existing)
        events = _events(locked)
        if locked.stage == Stage.STOOD_DOWN:
            _append(locked, events, Kind.REINSTATED, entered_by, now=now)
        return locked
    received_at = service_request.submitted_at
    if report.received_at is not None:
        validate_time_of_call(report.received_at, now)
        received_at = report.received_at
    customer = service_request.customer
    on_register = customer is not None and PriorityServicesRegistration.objects.filter(user_id=customer.pk).exists()
    answers = report.answers
    classification = classify(answers)
    emergency = Emergency(
        service_request=service_request,
        reference=service_request.reference,
        channel=service_request.channel,
        reporter_phone=service_request.reporter_phone,
        address=service_request.address,
        postcode=service_request.postcode,
        latitude=service_request.latitude,
        longitude=service_request.longitude,
        location_details=report.location_details,
        on_priority_register=on_register,
        derived_classification=classification,
        classification=classification,
        received_at=received_at,
        **answers.as_dict(),
    )
    _apply_deadlines(emergency)
    emergency.full_clean(exclude=["service_request", "engineer"], validate_unique=False, validate_constraints=False)
    emergency.save(force_insert=True)
    data = {
        "answers": answers.as_dict(),
        "classification": classification,
        "channel": service_request.channel,
        "request_type": service_request.request_type.name,
        "location": {
            "address": emergency.address,
            "postcode": emergency.postcode,
            "latitude": emergency.latitude,
            "longitude": emergency.longitude,
            "details": emergency.location_details,
        },
        "on_priority_register": on_register,
    }
    _append(
        emergency,
        [],
        Kind.RECEIPT,
        entered_by or customer,
        now=now,
        occurred_at=received_at,
        data=data,
        once_key="receipt",
    )
    return emergency


def validate_time_of_call(received_at: datetime, now: datetime | None = None) -> None:
    """A phoned-in report's time of call: not in the future, at most a day ago."""
    now = now or timezone.now()
    if received_at > now + CLOCK_SKEW:
        raise ValidationError({"received_at": ["The time of the call cannot be in the future."]})
    if received_at < now - BACKDATE_LIMIT:
        raise ValidationError({"received_at": ["The time of the call must be within the last 24 hours."]})


@transaction.atomic
def emergency_stand_down(*, acting_user: User, service_request: ServiceRequest, reason: str) -> Emergency | None:
    """Close the record of a request staff reclassified as not an emergency (kept, never deleted)."""
    _require_dispatcher(acting_user)
    existing = Emergency.objects.filter(service_request=service_request).first()
    if existing is None:
        return None
    emergency = _lock(existing)
    events = _events(emergency)
    if emergency.stage != Stage.STOOD_DOWN:
        _append(emergency, events, Kind.STOOD_DOWN, acting_user, now=timezone.now(), reason=reason)
    return emergency


@transaction.atomic
def emergency_report(
    *,
    reporter: User | None,
    request_type: RequestType,
    phone: str = "",
    address: str | None = None,
    postcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    location_details: str = "",
    details: str = "",
    answers: Answers | None = None,
    contact_name: str = "",
    channel: str = ServiceRequest.Channel.API,
    entered_by: User | None = None,
    received_at: datetime | None = None,
) -> Emergency:
    """File an emergency report: its request (the numbered record) and the record, in one transaction.

    `reporter` is the customer's account, or None (a passer-by, a caller). A logged-in
    customer's phone and address fill what they leave out. Staff entering a phoned-in report
    pass `entered_by` (a dispatcher), ``channel="phone"`` and the caller's `received_at`.
    """
    from utility_services import services as request_services  # imports this module: not at the top

    if entered_by is not None:
        _require_dispatcher(entered_by)
    elif received_at is not None:
        raise Forbidden("Only staff entering a phoned-in report can give its time of call.")
    if not request_type.is_emergency or not request_type.is_active:
        raise ValidationError({"type_of_request": [f"{request_type.name} is not an emergency type."]})
    if reporter is not None and not phone:
        phone = reporter.phone_number
    if not phone:
        raise ValidationError({"phone": ["Give a phone number we can call you back on."]})
    if not (address or (reporter is not None and address is None and reporter.address) or latitude is not None):
        raise ValidationError({"address": ["Say where: an address, or a latitude and longitude."]})
    answers = answers or Answers()
    if not details:
        details = f"{request_type.name} reported" + (f": {location_details}" if location_details else ".")
    service_request = request_services.service_request_submit(
        customer=reporter,
        request_type=request_type,
        details=details,
        channel=channel,
        address=address,
        postcode=postcode,
        latitude=latitude,
        longitude=longitude,
        contact_name=contact_name,
        contact_phone=phone,
        emergency_report=EmergencyReport(answers=answers, location_details=location_details, received_at=received_at),
        entered_by=entered_by,
    )
    return Emergency.objects.get(service_request=service_request)


# --- Dispatch and response -------------------------------------------------------------


def validate_engineer(engineer: User | None) -> None:
    if engineer is None or not (engineer.is_active and engineer.is_engineer):
        raise ValidationError({"engineer": ["Dispatch an active engineer."]})


def _ensure_open(emergency: Emergency, action: str) -> None:
    if emergency.stage in CLOSED_STAGES:
        raise Conflict(
            f"This emergency is {emergency.get_stage_display().lower()}: it cannot be {action}.",
            details={"reference": emergency.reference, "stage": emergency.stage},
        )


@transaction.atomic
def emergency_dispatch(
    *, acting_user: User, emergency: Emergency, engineer: User, occurred_at: datetime | None = None, note: str = ""
) -> EmergencyEvent:
    """Send an engineer (a dispatcher's act). Re-dispatching to another engineer hands the record over.

    The first dispatch moves a Pending request to In Progress, and the engineer is emailed.
    """
    from utility_services import services as request_services  # imports this module: not at the top

    _require_dispatcher(acting_user)
    validate_engineer(engineer)
    emergency = _lock(emergency)
    _ensure_open(emergency, "dispatched")
    if emergency.engineer_id == engineer.pk:
        raise Conflict(
            f"{engineer.name or engineer.username} is already dispatched to this emergency.",
            details={"reference": emergency.reference, "engineer": engineer.pk},
        )
    now = timezone.now()
    events = _events(emergency)
    event = _append(
        emergency,
        events,
        Kind.DISPATCHED,
        acting_user,
        now=now,
        occurred_at=_when(occurred_at, emergency, now),
        engineer=engineer,
        body=note,
        data={"engineer_name": engineer.name or engineer.username},
    )
    service_request = emergency.service_request
    if service_request.status == ServiceRequest.Status.PENDING:
        request_services.service_request_transition(
            acting_user=acting_user, service_request=service_request, status=ServiceRequest.Status.IN_PROGRESS
        )
    notifications.notify_engineer_of_dispatch(emergency, engineer)
    return event


@transaction.atomic
def emergency_record_step(
    *,
    acting_user: User,
    emergency: Emergency,
    step: str,
    occurred_at: datetime | None = None,
    reason: str = "",
    note: str = "",
) -> EmergencyEvent:
    """Record on the way, arrived, made safe, cleared, or deferred (with a reason); see `allowed_steps`."""
    if step not in STEP_KINDS:
        raise ValidationError({"step": [f"Choose one of: {', '.join(STEP_KINDS)}."]})
    emergency = _lock(emergency)
    _require_responder(acting_user, emergency)
    events = _events(emergency)
    allowed = allowed_steps(emergency, events)
    if step not in allowed:
        raise Conflict(
            f"'{Kind(step).label}' cannot be recorded now: the emergency is "
            f"{emergency.get_stage_display().lower()}. To fix a wrong time, record a correction.",
            details={"reference": emergency.reference, "stage": emergency.stage, "allowed_steps": allowed},
        )
    if step == Kind.DEFERRED and not reason.strip():
        raise ValidationError({"reason": ["Say why the repair is deferred."]})
    now = timezone.now()
    return _append(
        emergency,
        events,
        step,
        acting_user,
        now=now,
        occurred_at=_when(occurred_at, emergency, now),
        reason=reason.strip() if step == Kind.DEFERRED else "",
        body=note,
    )


@transaction.atomic
def emergency_override_classification(
    *, acting_user: User, emergency: Emergency, classification: str, reason: str
) -> EmergencyEvent:
    """A dispatcher's change of uncontrolled/controlled, with a reason; it moves the deadlines."""
    _require_dispatcher(acting_user)
    if classification not in Classification.values:
        raise ValidationError({"classification": [f"Choose one of: {', '.join(Classification.values)}."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the classification is changed."]})
    emergency = _lock(emergency)
    if classification == emergency.classification:
        raise Conflict(
            f"The emergency is already {classification}.",
            details={"reference": emergency.reference, "classification": emergency.classification},
        )
    previous = emergency.classification
    return _append(
        emergency,
        _events(emergency),
        Kind.CLASSIFICATION_OVERRIDE,
        acting_user,
        now=timezone.now(),
        reason=reason.strip(),
        data={"from": previous, "to": classification},
        text=f"Classification changed from {previous} to {classification}",
        timeline_body=reason.strip(),
    )


@transaction.atomic
def emergency_record(
    *, acting_user: User, emergency: Emergency, kind: str, body: str, occurred_at: datetime | None = None
) -> EmergencyEvent:
    """Record an action taken, advice given (public: the reporter sees it) or an internal note."""
    if kind not in RECORD_KINDS:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(RECORD_KINDS)}."]})
    if not body.strip():
        raise ValidationError({"body": ["This field may not be blank."]})
    emergency = _lock(emergency)
    _require_responder(acting_user, emergency)
    now = timezone.now()
    return _append(
        emergency,
        _events(emergency),
        kind,
        acting_user,
        now=now,
        occurred_at=_when(occurred_at, emergency, now),
        body=body.strip(),
        timeline_body=body.strip(),
    )


INCIDENT_FLAGS = ("injury", "fire", "explosion", "evacuation")


@transaction.atomic
def emergency_record_incident(
    *,
    acting_user: User,
    emergency: Emergency,
    injury: bool = False,
    fire: bool = False,
    explosion: bool = False,
    evacuation: bool = False,
    description: str = "",
    occurred_at: datetime | None = None,
) -> EmergencyEvent:
    """Record an incident (at least one of injury, fire, explosion, evacuation); internal."""
    flags = {"injury": injury, "fire": fire, "explosion": explosion, "evacuation": evacuation}
    if not any(flags.values()):
        raise ValidationError({"non_field_errors": ["Say what happened: injury, fire, explosion or evacuation."]})
    emergency = _lock(emergency)
    _require_responder(acting_user, emergency)
    now = timezone.now()
    happened = ", ".join(name for name, value in flags.items() if value)
    return _append(
        emergency,
        _events(emergency),
        Kind.INCIDENT,
        acting_user,
        now=now,
        occurred_at=_when(occurred_at, emergency, now),
        body=description.strip(),
        data=flags,
        text=f"Incident: {happened}",
        timeline_body=description.strip(),
    )


@transaction.atomic
def emergency_record_regulator_notified(
    *,
    acting_user: User,
    emergency: Emergency,
    regulator: str,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> EmergencyEvent:
    """Record when (and which) regulator was told of an incident (e.g. Texas 8.210: within 1 hour)."""
    _require_dispatcher(acting_user)
    if not regulator.strip():
        raise ValidationError({"regulator": ["Name the regulator notified."]})
    emergency = _lock(emergency)
    now = timezone.now()
    return _append(
        emergency,
        _events(emergency),
        Kind.REGULATOR_NOTIFIED,
        acting_user,
        now=now,
        occurred_at=_when(occurred_at, emergency, now),
        body=note.strip(),
        data={"regulator": regulator.strip(), "reference": reference.strip()},
        text=f"Regulator notified: {regulator.strip()}",
        timeline_body=note.strip(),
    )


@transaction.atomic
def emergency_review(*, acting_user: User, emergency: Emergency, comment: str) -> EmergencyEvent:
    """A supervisor's review of the record (who and when are the entry's; Texas 8.205)."""
    if not is_supervisor(acting_user):
        raise Forbidden("Only supervisors (admins, or agents named in EMERGENCY_SUPERVISOR_USERNAMES) can review.")
    if not comment.strip():
        raise ValidationError({"comment": ["This field may not be blank."]})
    emergency = _lock(emergency)
    return _append(
        emergency,
        _events(emergency),
        Kind.REVIEW,
        acting_user,
        now=timezone.now(),
        body=comment.strip(),
        timeline_body=comment.strip(),
    )


def missed_deadline(emergency: Emergency, deadline: str, now: datetime) -> bool:
    """Whether `emergency` has missed `deadline` by `now`: reached after it, or not reached and it has passed.

    The attendance standard is Ofgem's 1 or 2 hours (``standard_deadline_at``, not the
    board's tighter vulnerable deadline); make-safe is GS(M)R's 12 hours.
    """
    if deadline == MissedDeadline.ATTENDANCE:
        reached, limit = emergency.arrived_at, emergency.standard_deadline_at
    else:
        reached, limit = emergency.made_safe_at, emergency.make_safe_deadline_at
    return reached > limit if reached is not None else limit < now


@transaction.atomic
def emergency_explain_miss(*, acting_user: User, emergency: Emergency, deadline: str, reason: str) -> EmergencyEvent:
    """Record why a deadline was missed (a dispatcher's act; internal). Only a deadline really missed.

    The reports list each miss with every reason given; a later reason adds to, never replaces,
    an earlier one.
    """
    _require_dispatcher(acting_user)
    if deadline not in MissedDeadline.values:
        raise ValidationError({"deadline": [f"Choose one of: {', '.join(MissedDeadline.values)}."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the deadline was missed."]})
    emergency = _lock(emergency)
    if emergency.stage == Stage.STOOD_DOWN:
        raise Conflict(
            "This report was stood down as not an emergency: it has no deadlines to miss.",
            details={"reference": emergency.reference, "stage": emergency.stage},
        )
    now = timezone.now()
    label = MissedDeadline(deadline).label
    if not missed_deadline(emergency, deadline, now):
        raise Conflict(
            f"The deadline '{label}' has not been missed: nothing to explain.",
            details={
                "reference": emergency.reference,
                "deadline": deadline,
                "arrived_at": emergency.arrived_at and emergency.arrived_at.isoformat(),
                "standard_deadline_at": emergency.standard_deadline_at.isoformat(),
                "made_safe_at": emergency.made_safe_at and emergency.made_safe_at.isoformat(),
                "make_safe_deadline_at": emergency.make_safe_deadline_at.isoformat(),
            },
        )
    return _append(
        emergency,
        _events(emergency),
        Kind.MISS_REASON,
        acting_user,
        now=now,
        reason=reason.strip(),
        data={"deadline": deadline},
        text=f"Reason for a missed deadline: {label}",
        timeline_body=reason.strip(),
    )


@transaction.atomic
def emergency_correct_time(
    *, acting_user: User, emergency: Emergency, event: EmergencyEvent, occurred_at: datetime, reason: str
) -> EmergencyEvent:
    """Correct when a timed entry happened: a new entry pointing at it, with a reason; never an edit.

    The latest correction of an entry wins. A receipt may move earlier (never after it was
    recorded); any other entry stays at or after the receipt.
    """
    _require_dispatcher(acting_user)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the time is corrected."]})
    emergency = _lock(emergency)
    if event.emergency_id != emergency.pk:
        raise ValidationError({"event": ["This entry belongs to another emergency."]})
    if event.kind not in EmergencyEvent.TIMED_KINDS:
        raise ValidationError(
            {"event": [f"Only the times of {', '.join(EmergencyEvent.TIMED_KINDS)} entries can be corrected."]}
        )
    now = timezone.now()
    if event.kind == Kind.RECEIPT:
        if occurred_at > event.recorded_at:
            raise ValidationError({"occurred_at": ["A report cannot be received after it was recorded."]})
    else:
        _when(occurred_at, emergency, now)
    before = effective_time_of(event)
    if before == occurred_at:
        raise Conflict("That is already the entry's time.", details={"occurred_at": before.isoformat()})
    label = Kind(event.kind).label
    return _append(
        emergency,
        _events(emergency),
        Kind.CORRECTION,
        acting_user,
        now=now,
        occurred_at=occurred_at,
        corrects=event,
        reason=reason.strip(),
        data={"kind": event.kind, "from": before.isoformat(), "to": occurred_at.isoformat()},
        text=f"Time of '{label}' corrected from {before.isoformat()} to {occurred_at.isoformat()}",
        timeline_body=reason.strip(),
    )


@transaction.atomic
def emergency_attach_photos(
    *, acting_user: User, emergency: Emergency, files: list[UploadedFile], is_internal: bool = True
) -> EmergencyEvent:
    """Add photos through the request's attachment service (internal by default) and list them on the record."""
    from utility_services import services as request_services  # imports this module: not at the top

    emergency = _lock(emergency)
    _require_responder(acting_user, emergency)
    attachments = request_services.service_request_attach(
        acting_user=acting_user, service_request=emergency.service_request, files=files, is_internal=is_internal
    )
    # The attachment service already put each file on the request's timeline.
    return _append(
        emergency,
        _events(emergency),
        Kind.PHOTO,
        acting_user,
        now=timezone.now(),
        data={"attachments": [attachment.pk for attachment in attachments]},
        body=", ".join(attachment.original_name for attachment in attachments),
        mirror=False,
    )


def emergency_alert(*, emergency: Emergency, stage: str, now: datetime, message: str) -> EmergencyEvent:
    """Put an escalation alert on the record (once per stage: the caller holds the lock)."""
    return _append(
        emergency,
        _events(emergency),
        Kind.ESCALATION,
        None,
        now=now,
        data={"stage": stage},
        body=message,
        once_key=f"escalation:{stage}",
        text=f"Escalation alert: {message}",
    )
