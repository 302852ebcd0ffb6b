"""The gas-emergency record: one per emergency request, an append-only log of what happened when.

The rules, in one place (REGULATION.md has the sources):

- **Classification.** An escape is *controlled* when the caller has turned the gas off at the
  meter and the smell has gone (gas no longer escaping) and nobody has carbon-monoxide
  symptoms; anything else, including unknown answers, is *uncontrolled* (never looser than
  Ofgem's definition). A dispatcher may override it, with a reason (`classification_override`).
- **Deadlines**, all counted from the effective receipt time, as absolute durations (UTC, so
  a daylight-saving change never shortens or stretches them):
  ``standard_deadline_at`` = received + 1 h (uncontrolled) or + 2 h (controlled), Ofgem's
  standard; ``deadline_at`` = the board's clock: the standard deadline, tightened to
  received + 1 h when the record is *vulnerable* (someone vulnerable present, or the
  reporter's account is on the Priority Services Register); ``make_safe_deadline_at`` =
  received + 12 h (GS(M)R regulation 7).
- **Append-only.** `EmergencyEvent` rows are only ever inserted: the model and its queryset
  refuse updates and deletes, the admin is read-only, and database triggers refuse UPDATE
  (migration 0002). A wrong time is corrected by a `correction` event that points at the
  event (``corrects``) with the right ``occurred_at`` and a reason; the latest correction of
  an event wins.
- **Effective times.** Each event has ``recorded_at`` (server time it was entered) and
  ``occurred_at`` (when it happened, given by the caller or = recorded_at). The effective time
  of an event is its latest correction's ``occurred_at``, else its own. The record's
  received time is the receipt's effective time; dispatched, en route, arrived, made safe,
  cleared and deferred are the *earliest* effective time among events of that kind
  (NY 255.825: the time a crew was *first* dispatched / arrived).
- **Missed deadlines.** When a record misses the attendance standard (``standard_deadline_at``)
  or the 12-hour make-safe deadline, a dispatcher says why with a ``miss_reason`` event (which
  deadline, and the reason), only once that deadline has really been missed. Later reasons
  add to earlier ones; the reports list every miss with all its reasons.
- **Summary columns.** `Emergency` carries those effective values (and the stage, engineer,
  classification, deadlines) as indexed columns for the board and the reports. They are
  written only by `emergencies.services.emergency_refresh`, in the same transaction as the
  event that changed them; `EmergencyQuerySet.with_effective_times()` recomputes the times
  from the events in SQL, and the tests check both agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from utility_services.models import Channel, ServiceRequest

UNCONTROLLED_HOURS = 1
CONTROLLED_HOURS = 2
MAKE_SAFE_HOURS = 12


class Classification(models.TextChoices):
    """Ofgem's two classes of gas escape (see the module docstring for the rule)."""

    UNCONTROLLED = "uncontrolled", "Uncontrolled"
    CONTROLLED = "controlled", "Controlled"


STANDARD_HOURS = {Classification.UNCONTROLLED: UNCONTROLLED_HOURS, Classification.CONTROLLED: CONTROLLED_HOURS}


class Stage(models.TextChoices):
    """How far the response has got (derived from the events; the last three close the record)."""

    RECEIVED = "received", "Received, not dispatched"
    DISPATCHED = "dispatched", "Engineer dispatched"
    EN_ROUTE = "en_route", "Engineer on the way"
    ON_SITE = "on_site", "Engineer on site"
    MADE_SAFE = "made_safe", "Made safe"
    CLEARED = "cleared", "Repaired and cleared"
    DEFERRED = "deferred", "Made safe, repair deferred"
    STOOD_DOWN = "stood_down", "Stood down (not an emergency)"


CLOSED_STAGES = (Stage.CLEARED, Stage.DEFERRED, Stage.STOOD_DOWN)


class ClockState(models.TextChoices):
    """Where the board's clock stands: against ``deadline_at``, stopped at arrival."""

    ON_TIME = "on_time", "On time"
    AT_RISK = "at_risk", "At risk"
    LATE = "late", "Late"


def at_risk_window() -> timedelta:
    """How long before its deadline an unattended emergency shows as at risk (a setting)."""
    return timedelta(minutes=settings.EMERGENCY_AT_RISK_MINUTES)


def clock_state(deadline_at: datetime, arrived_at: datetime | None, now: datetime) -> str:
    """On time, at risk or late: the rule `EmergencyQuerySet.with_clock` also applies in SQL.

    Attended: on time if arrived by the deadline (inclusive), else late. Not attended: late
    once the deadline has passed, at risk within the at-risk window before it, else on time.
    """
    if arrived_at is not None:
        return ClockState.ON_TIME if arrived_at <= deadline_at else ClockState.LATE
    if deadline_at < now:
        return ClockState.LATE
    if deadline_at <= now + at_risk_window():
        return ClockState.AT_RISK
    return ClockState.ON_TIME


class EmergencyQuerySet(models.QuerySet):
    def open(self):
        """Records still being worked: not cleared, deferred or stood down."""
        return self.filter(closed_at__isnull=True)

    def for_engineer(self, user):
        """What an engineer may see: the records currently dispatched to them."""
        return self.filter(engineer=user)

    def with_related(self):
        return self.select_related("service_request__request_type", "service_request__customer", "engineer")

    def board(self, now: datetime | None = None):
        """The dispatch board: open records, undispatched first, then by the time left on their clock.

        Time left is ``deadline_at - now``, so ordering by ``deadline_at`` orders by it; a
        vulnerable record's deadline is already the tighter 1-hour one, which is how the
        vulnerable flag raises its place on the board.
        """
        undispatched = models.Case(
            models.When(dispatched_at__isnull=True, then=models.Value(0)),
            default=models.Value(1),
            output_field=models.IntegerField(),
        )
        return (
            self.open()
            .with_related()
            .with_clock(now)
            .alias(undispatched=undispatched)
            .order_by("undispatched", "deadline_at", "id")
        )

    def with_clock(self, now: datetime | None = None):
        """Annotate ``clock_state``: the rule of `clock_state`, in SQL, at `now`."""
        now = now or timezone.now()
        risk_from = now + at_risk_window()
        state = models.Case(
            models.When(
                arrived_at__isnull=False, arrived_at__lte=models.F("deadline_at"), then=models.Value("on_time")
            ),
            models.When(arrived_at__isnull=False, then=models.Value("late")),
            models.When(deadline_at__lt=now, then=models.Value("late")),
            models.When(deadline_at__lte=risk_from, then=models.Value("at_risk")),
            default=models.Value("on_time"),
            output_field=models.CharField(),
        )
        return self.annotate(clock_state=state)

    def received_between(self, start: datetime, end: datetime):
        """Records received in [start, end): the reports' monthly and daily windows."""
        return self.filter(received_at__gte=start, received_at__lt=end)

    def with_effective_times(self):
        """Annotate ``effective_<step>_at`` for every timed step, computed from the events in SQL.

        The same rule as the summary columns (module docstring): the latest correction of an
        event wins; a step's time is the earliest effective time among its events. Slower
        than the columns; used to audit them and by anyone who must not trust a cache.
        """
        latest_correction = (
            EmergencyEvent.objects.filter(kind=EmergencyEvent.Kind.CORRECTION, corrects=models.OuterRef("pk"))
            .order_by("-recorded_at", "-id")
            .values("occurred_at")[:1]
        )
        effective = EmergencyEvent.objects.annotate(
            effective_at=models.functions.Coalesce(models.Subquery(latest_correction), models.F("occurred_at"))
        )
        annotations = {}
        for kind, column in EmergencyEvent.TIMED_KINDS.items():
            first = (
                effective.filter(emergency=models.OuterRef("pk"), kind=kind)
                .order_by("effective_at", "id")
                .values("effective_at")[:1]
            )
            annotations[f"effective_{column}"] = models.Subquery(first, output_field=models.DateTimeField())
        return self.annotate(**annotations)

    def delete(self):
        raise AppendOnlyError("Emergency records are never deleted.")


class AppendOnlyError(Exception):
    """An attempt to change or delete what the emergency record has already recorded."""


class Emergency(models.Model):
    """The numbered record of one gas-emergency report (its request's reference is its number).

    Created with its request, in the same transaction, from every channel. What the reporter
    said (answers, location) is kept as received; everything after is in `events`. The
    columns under "summary" are derived from the events by `services.emergency_refresh`.
    """

    Classification = Classification
    Stage = Stage
    ClockState = ClockState

    service_request = models.OneToOneField(
        ServiceRequest,
        on_delete=models.PROTECT,  # an emergency's request is never deleted
        related_name="emergency",
    )
    reference = models.CharField(max_length=16, unique=True, editable=False, help_text="The request's reference.")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # Where, and who to call back, as reported.
    reporter_phone = models.CharField(max_length=16, blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_details = models.CharField(
        max_length=500, blank=True, help_text="Where exactly, in the reporter's words (e.g. 'outside no. 12')."
    )
    # The questions, as answered (null: not answered or did not know).
    inside = models.BooleanField(null=True, blank=True, help_text="Is the smell inside a building (false: outside)?")
    gas_escaping = models.BooleanField(
        null=True, blank=True, help_text="Is gas still escaping (can it still be smelt)?"
    )
    meter_off = models.BooleanField(null=True, blank=True, help_text="Has the gas been turned off at the meter?")
    co_symptoms = models.BooleanField(null=True, blank=True, help_text="Does anyone have carbon-monoxide symptoms?")
    vulnerable_present = models.BooleanField(null=True, blank=True, help_text="Is anyone vulnerable present?")
    on_priority_register = models.BooleanField(
        default=False, help_text="The reporter's account was on the Priority Services Register at receipt."
    )
    derived_classification = models.CharField(max_length=16, choices=Classification.choices)

    # --- Summary: derived from the events by services.emergency_refresh, never edited -------
    classification = models.CharField(max_length=16, choices=Classification.choices)
    is_vulnerable = models.BooleanField(default=False)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.RECEIVED)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispatched_emergencies",
        help_text="The engineer of the latest dispatch.",
    )
    received_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    made_safe_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    deferred_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Cleared, deferred or stood down.")
    standard_deadline_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    make_safe_deadline_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True, help_text="When the first supervisor review was entered.")
    regulator_notified_at = models.DateTimeField(null=True, blank=True)
    has_incident = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EmergencyQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "emergencies"
        indexes = [
            models.Index(fields=["closed_at", "deadline_at"], name="emergency_board"),
            models.Index(fields=["engineer", "closed_at"], name="emergency_engineer"),
            models.Index(fields=["received_at"], name="emergency_received"),
            models.Index(fields=["reviewed_at", "received_at"], name="emergency_review"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="emergency_channel_valid"),
            models.CheckConstraint(
                condition=models.Q(classification__in=Classification.values)
                & models.Q(derived_classification__in=Classification.values),
                name="emergency_classification_valid",
            ),
            models.CheckConstraint(condition=models.Q(stage__in=Stage.values), name="emergency_stage_valid"),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) & ~models.Q(stage__in=CLOSED_STAGES)
                | models.Q(closed_at__isnull=False, stage__in=CLOSED_STAGES),
                name="emergency_closed_at_matches_stage",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="emergency_position_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(deadline_at__gt=models.F("received_at"))
                & models.Q(deadline_at__lte=models.F("standard_deadline_at"))
                & models.Q(make_safe_deadline_at__gt=models.F("standard_deadline_at")),
                name="emergency_deadlines_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_classification_display()} ({self.get_stage_display()})"

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Emergency records are never deleted.")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_dispatched(self) -> bool:
        return self.dispatched_at is not None

    def clock_state(self, now: datetime | None = None) -> str:
        """On time, at risk or late against the board's ``deadline_at`` (see `clock_state`)."""
        return clock_state(self.deadline_at, self.arrived_at, now or timezone.now())

    def seconds_left(self, now: datetime | None = None) -> int:
        """Seconds from now (or from arrival, when the clock has stopped) to the deadline; negative when late."""
        until = self.arrived_at or now or timezone.now()
        return int((self.deadline_at - until).total_seconds())

    @property
    def attended_within_standard(self) -> bool | None:
        """Ofgem's measure: arrived by the 1- or 2-hour standard deadline (None while not attended)."""
        return None if self.arrived_at is None else self.arrived_at <= self.standard_deadline_at

    @property
    def made_safe_in_time(self) -> bool | None:
        """GS(M)R regulation 7: made safe within 12 hours (None while not made safe)."""
        return None if self.made_safe_at is None else self.made_safe_at <= self.make_safe_deadline_at


class EventKind(models.TextChoices):
    """What an entry of the emergency record says happened."""

    RECEIPT = "receipt", "Report received"
    CLASSIFICATION_OVERRIDE = "classification_override", "Classification overridden"
    DISPATCHED = "dispatched", "Engineer dispatched"
    EN_ROUTE = "en_route", "Engineer on the way"
    ARRIVED = "arrived", "Engineer arrived on site"
    MADE_SAFE = "made_safe", "Made safe"
    CLEARED = "cleared", "Repaired and cleared"
    DEFERRED = "deferred", "Repair deferred"
    ACTION = "action", "Action taken"
    ADVICE = "advice", "Advice given"
    NOTE = "note", "Note"
    PHOTO = "photo", "Photos added"
    INCIDENT = "incident", "Incident"
    REGULATOR_NOTIFIED = "regulator_notified", "Regulator notified"
    REVIEW = "review", "Supervisor review"
    ESCALATION = "escalation", "Escalation alert"
    CORRECTION = "correction", "Time corrected"
    STOOD_DOWN = "stood_down", "Stood down"
    REINSTATED = "reinstated", "Reinstated as an emergency"
    MISS_REASON = "miss_reason", "Reason for a missed deadline"


# Kinds that must say why (a dispatcher's override, a deferral, a correction, a stand-down,
# the explanation of a missed deadline).
REASON_REQUIRED = [
    EventKind.CLASSIFICATION_OVERRIDE,
    EventKind.DEFERRED,
    EventKind.CORRECTION,
    EventKind.STOOD_DOWN,
    EventKind.MISS_REASON,
]


class MissedDeadline(models.TextChoices):
    """The deadlines a reason may be given for having missed (``data["deadline"]`` of a miss_reason)."""

    ATTENDANCE = "attendance", "Attendance standard (1 or 2 hours)"
    MAKE_SAFE = "make_safe", "Made safe within 12 hours"


class EmergencyEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Emergency events are append-only: record a correction instead.")

    def delete(self):
        raise AppendOnlyError("Emergency events are append-only and never deleted.")


class EmergencyEvent(models.Model):
    """One entry of an emergency record. Inserted once, never changed (see the module docstring).

    ``recorded_at`` is the server time it was entered; ``occurred_at`` when it happened (the
    caller's time of call, an engineer's late entry...), equal to ``recorded_at`` unless given.
    ``data`` holds what is particular to the kind: the answers and classification of the
    receipt, an override's ``from``/``to``, an incident's flags, an alert's ``stage``...
    ``once_key`` marks events that may happen once per record (the receipt, each escalation
    stage): unique with the record, NULL for the others.
    """

    Kind = EventKind

    # Kinds whose time is a milestone of the response, and the summary column each feeds.
    TIMED_KINDS: dict[str, str] = {
        Kind.RECEIPT: "received_at",
        Kind.DISPATCHED: "dispatched_at",
        Kind.EN_ROUTE: "en_route_at",
        Kind.ARRIVED: "arrived_at",
        Kind.MADE_SAFE: "made_safe_at",
        Kind.CLEARED: "cleared_at",
        Kind.DEFERRED: "deferred_at",
        Kind.REGULATOR_NOTIFIED: "regulator_notified_at",
    }
    # What the reporter (the request's customer) sees on their request's timeline; the rest is internal.
    PUBLIC_KINDS = (
        Kind.RECEIPT,
        Kind.DISPATCHED,
        Kind.EN_ROUTE,
        Kind.ARRIVED,
        Kind.MADE_SAFE,
        Kind.CLEARED,
        Kind.DEFERRED,
        Kind.ADVICE,
    )
    REASON_REQUIRED = REASON_REQUIRED

    emergency = models.ForeignKey(Emergency, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    recorded_at = models.DateTimeField(default=timezone.now, help_text="Server time the entry was made.")
    occurred_at = models.DateTimeField(help_text="When it happened (= recorded_at unless given).")
    # PROTECT: the record keeps its people; an account with entries is deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    reason = models.TextField(blank=True)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # NULL, not "", for the others: NULLs never collide in the unique constraint below.
    once_key = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001

    objects = EmergencyEventQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["emergency", "kind", "occurred_at"], name="emergency_event_kind")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=EventKind.values), name="emergency_event_kind_valid"),
            models.UniqueConstraint(fields=["emergency", "once_key"], name="emergency_event_once"),
            # A correction, and only a correction, points at the event it corrects.
            models.CheckConstraint(
                condition=models.Q(kind="correction", corrects__isnull=False)
                | (~models.Q(kind="correction") & models.Q(corrects__isnull=True)),
                name="emergency_event_correction_target",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=REASON_REQUIRED) | ~models.Q(reason=""),
                name="emergency_event_reason_given",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="dispatched") | models.Q(engineer__isnull=False),
                name="emergency_event_dispatch_engineer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emergency_id} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Emergency events are append-only: record a correction instead.")
        if self.occurred_at is None:
            self.occurred_at = self.recorded_at
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Emergency events are append-only and never deleted.")

    @property
    def is_public(self) -> bool:
        return self.kind in self.PUBLIC_KINDS
