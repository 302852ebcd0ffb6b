"""Service requests, their timeline and attachments, and the catalogue of request types."""

import uuid
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from accounts.validators import phone_number_validator
from core.identifiers import random_code


class RequestType(models.Model):
    """A kind of service request customers may submit (catalogue data, seeded by a migration).

    Open311 calls it a service: `code` is its stable `service_code`, and its questions
    (`attributes`) are the service definition.
    """

    name = models.CharField(max_length=64, unique=True)
    code = models.SlugField(
        max_length=64,
        unique=True,
        help_text="Stable identifier for API clients (Open311's service_code): letters, digits, - and _. "
        "Changing it breaks the clients that use it.",
    )
    description = models.CharField(max_length=300, blank=True)
    group = models.CharField(max_length=64, blank=True, help_text="A category clients group types by (Open311).")
    keywords = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated synonyms that help people find this type (Open311)."
    )
    target_resolution_hours = models.PositiveIntegerField(
        default=120, help_text="Service-level target: hours from submission to resolution."
    )
    is_emergency = models.BooleanField(
        default=False, help_text="Emergency requests get Emergency priority, a safety notice and an on-call alert."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive types cannot be chosen for new requests.")
    sort_order = models.PositiveSmallIntegerField(default=100)
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change to the type or its questions.")

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def target_resolution_time(self) -> timedelta:
        return timedelta(hours=self.target_resolution_hours)


attribute_code_validator = RegexValidator(
    regex=r"^[A-Za-z0-9_]+\Z",
    message="Use letters, digits and underscores only (it is sent as attribute[code]).",
)


class AttributeDatatype(models.TextChoices):
    """What kind of answer a question takes (Open311's attribute datatypes)."""

    STRING = "string", "Short text (one line)"
    NUMBER = "number", "Number"
    DATETIME = "datetime", "Date and time"
    TEXT = "text", "Long text"
    SINGLEVALUELIST = "singlevaluelist", "One choice from a list"
    MULTIVALUELIST = "multivaluelist", "Several choices from a list"


class RequestAttribute(models.Model):
    """A question a request type asks (Open311: a service-definition attribute).

    Answers are stored on the request (`ServiceRequest.attributes`, keyed by `code`)
    and checked by `attributes.clean_answers`, whichever interface they come through.
    """

    Datatype = AttributeDatatype
    LIST_DATATYPES = (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)

    request_type = models.ForeignKey(RequestType, on_delete=models.CASCADE, related_name="attributes")
    code = models.CharField(
        max_length=64,
        validators=[attribute_code_validator],
        help_text="Stable identifier of the question, unique within the type; answers are keyed by it.",
    )
    description = models.CharField(max_length=300, help_text="The question, as the person answering reads it.")
    order = models.PositiveSmallIntegerField(help_text="Position in the form: 1 first. Unique within the type.")
    datatype = models.CharField(max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(
        default=False,
        help_text="An answer is needed to submit. Never enforced for emergency types: "
        "an emergency report is not refused for a missing answer.",
    )
    variable = models.BooleanField(
        default=True, help_text="Untick for information shown to the reporter that is not a question."
    )
    datatype_description = models.CharField(
        max_length=200, blank=True, help_text="A hint on the expected format, e.g. 'The 5 black digits'."
    )
    values = models.JSONField(
        default=list,
        blank=True,
        help_text='The choices of a list question: [{"key": ..., "name": ...}, ...].',
    )

    class Meta:
        ordering = ["request_type", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request_type", "code"], name="attribute_code_unique"),
            models.UniqueConstraint(fields=["request_type", "order"], name="attribute_order_unique"),
            models.CheckConstraint(condition=models.Q(order__gte=1), name="attribute_order_positive"),
            models.CheckConstraint(
                condition=models.Q(datatype__in=AttributeDatatype.values), name="attribute_datatype_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_type}: {self.code}"

    @property
    def is_list(self) -> bool:
        return self.datatype in self.LIST_DATATYPES

    @property
    def value_names(self) -> dict[str, str]:
        """The list's choices, {key: name}."""
        return {str(value["key"]): value["name"] for value in self.values or []}

    def clean(self):
        values = self.values or []
        if not isinstance(values, list) or not all(
            isinstance(value, dict)
            and set(value) == {"key", "name"}
            and isinstance(value["key"], str)
            and isinstance(value["name"], str)
            and value["key"].strip()
            and value["name"].strip()
            for value in values
        ):
            raise ValidationError({"values": "Each choice needs a key and a name."})
        keys = [value["key"] for value in values]
        if len(set(keys)) != len(keys):
            raise ValidationError({"values": "Each choice needs its own key."})
        if self.is_list and not values:
            raise ValidationError({"values": "A list question needs at least one choice."})
        if not self.is_list and values:
            raise ValidationError({"values": "Only list questions have choices."})
        if self.required and not self.variable:
            raise ValidationError({"required": "Information that is not a question cannot be required."})


class ServiceRequestStatus(models.TextChoices):
    """Where a request is in its workflow; the allowed moves live in `workflow.py`."""

    # Stored and shown exactly as the original README writes them.
    PENDING = "Pending", "Pending"
    IN_PROGRESS = "In Progress", "In Progress"
    ON_HOLD = "On Hold", "On Hold"
    RESOLVED = "Resolved", "Resolved"
    CLOSED = "Closed", "Closed"
    CANCELLED = "Cancelled", "Cancelled"


OPEN_STATUSES = (ServiceRequestStatus.PENDING, ServiceRequestStatus.IN_PROGRESS, ServiceRequestStatus.ON_HOLD)


class Priority(models.IntegerChoices):
    """How urgent a request is. Stored as a number so queues sort by it."""

    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    EMERGENCY = 4, "Emergency"


class Channel(models.TextChoices):
    """How a request reached us: recorded on every request, reported on for emergencies."""

    WEB = "web", "Web portal"
    API = "api", "API"
    PHONE = "phone", "Phone (entered by staff)"
    OPEN311 = "open311", "Open311"


def generate_reference() -> str:
    """Return a new request reference such as ``SR-7K3M-9Q2X``, easy to read out on the phone."""
    return random_code("SR")


class Urgency(models.IntegerChoices):
    """Where a request stands in the staff queue's default order: lower comes first.

    Stored on the request (`ServiceRequest.urgency`, indexed with the order's other keys) so
    the queue's first page is an index walk at any size. `ServiceRequest.save()` keeps it in
    step with status, priority and due time; being past the due time is a matter of the clock,
    so the periodic job `mark_overdue_requests` moves open requests to OVERDUE when their due
    time passes (every minute, see CELERY_BEAT_SCHEDULE).
    """

    EMERGENCY = 0, "Open emergency"
    OVERDUE = 1, "Open, past its due time"
    OPEN = 2, "Open"
    SETTLED = 3, "Resolved, closed or cancelled"


def urgency_of(status: str, priority: int, due_at, now=None) -> int:
    """The urgency a request with these values has now (see `Urgency`)."""
    if status not in OPEN_STATUSES:
        return Urgency.SETTLED
    if priority == Priority.EMERGENCY:
        return Urgency.EMERGENCY
    if due_at is not None and due_at < (now or timezone.now()):
        return Urgency.OVERDUE
    return Urgency.OPEN


# The staff queue's default order, for the API's list and the staff page alike: open emergencies,
# then overdue requests, then the other open ones, settled ones last; within each, highest
# priority first, then newest first. Backed by the `sr_urgency_queue` index.
QUEUE_ORDER = ("urgency", "-priority", "-submitted_at", "-id")


class ServiceRequestQuerySet(models.QuerySet):
    def for_customer(self, user):
        """Requests the given customer submitted, newest first."""
        return self.filter(customer=user).select_related("request_type").newest_first()

    def for_staff(self):
        """Every request, with what staff lists show, in the queue's default order (`QUEUE_ORDER`)."""
        return self.select_related("request_type", "customer", "assignee").queue_order()

    def newest_first(self):
        return self.order_by("-submitted_at", "-id")

    def queue_order(self):
        """The staff queue's default order (`QUEUE_ORDER`): emergencies, overdue, open, settled."""
        return self.order_by(*QUEUE_ORDER)

    def with_public_timeline(self):
        """Prefetch what the customer may see of each request: `public_events` and `public_attachments`."""
        return self.prefetch_related(
            models.Prefetch("events", queryset=RequestEvent.objects.public(), to_attr="public_events"),
            models.Prefetch("attachments", queryset=Attachment.objects.public(), to_attr="public_attachments"),
        )

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now=None):
        """Open requests past their due time."""
        return self.open().filter(due_at__lt=now or timezone.now())

    def mark_overdue(self, now=None) -> int:
        """Move open requests whose due time has passed to `Urgency.OVERDUE`; return how many."""
        return self.filter(urgency=Urgency.OPEN, due_at__lt=now or timezone.now()).update(urgency=Urgency.OVERDUE)


class ServiceRequest(models.Model):
    """A customer's request for service, from submission to resolution."""

    Status = ServiceRequestStatus
    Priority = Priority
    Channel = Channel

    reference = models.CharField(max_length=16, unique=True, editable=False, default=generate_reference)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # request history is never deleted with its customer
        null=True,
        blank=True,
        related_name="service_requests",
        help_text="The account that submitted it; empty for reports made without one (a passer-by, Open311).",
    )
    # Who to contact when there is no account, or when the reporter is not the account holder.
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(max_length=254, blank=True)
    contact_phone = models.CharField(max_length=16, blank=True, validators=[phone_number_validator])
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    # Where the problem is: the customer's address by default; coordinates are WGS84.
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=16, blank=True, help_text="Postcode or ZIP code.")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="service_requests")
    details = models.TextField()
    # Answers to the type's questions, {code: value}, as checked by attributes.clean_answers.
    attributes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ServiceRequestStatus.choices, default=ServiceRequestStatus.PENDING)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        # Every staff member, former ones too, for the admin's filter; who may be assigned now is
        # `User.objects.assignable()` (the forms, the serializer and the services ask it).
        limit_choices_to={"role__in": ["agent", "admin"]},
    )
    resolution_details = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    # What the customer (and Open311) sees: moved only by changes they can see. Internal staff
    # actions (internal notes and files, priority, assignee) move `staff_updated_at` alone,
    # which staff ETags and If-Match use. Services set both through `touch()`.
    updated_at = models.DateTimeField(default=timezone.now, help_text="Last change the customer can see.")
    staff_updated_at = models.DateTimeField(
        default=timezone.now, help_text="Last change of any kind, internal ones included (staff ETags)."
    )
    due_at = models.DateTimeField()
    # Kept by save() and the periodic `mark_overdue_requests`; the database default lets a row
    # inserted by raw SQL (a bulk import) start as open.
    urgency = models.PositiveSmallIntegerField(
        choices=Urgency.choices, default=Urgency.OPEN, db_default=Urgency.OPEN, editable=False
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # With -id: the newest-first tie-break is read from the index, not sorted (a filesort of
            # every request of a customer with 10,000 of them, for a page of 20).
            models.Index(fields=["customer", "-submitted_at", "-id"], name="sr_customer_newest"),
            models.Index(fields=["status", "-submitted_at"], name="sr_status_submitted"),
            models.Index(fields=["request_type", "-submitted_at"], name="sr_type_submitted"),
            models.Index(fields=["-submitted_at", "-id"], name="sr_submitted"),
            models.Index(fields=["-priority", "-submitted_at", "-id"], name="sr_queue"),
            # The staff queue's default order (QUEUE_ORDER), and the job that marks requests overdue.
            models.Index(fields=["urgency", "-priority", "-submitted_at", "-id"], name="sr_urgency_queue"),
            models.Index(fields=["urgency", "due_at"], name="sr_urgency_due"),
            models.Index(fields=["assignee", "status"], name="sr_assignee_status"),
            models.Index(fields=["status", "due_at"], name="sr_status_due"),
            models.Index(fields=["-updated_at"], name="sr_updated"),
            # Staff search finds a whole contact email by index (search.py's identifier lookups).
            models.Index(fields=["contact_email"], name="sr_contact_email"),
            # Covers every statistics query over a submitted-date range: no row is read.
            models.Index(
                fields=["submitted_at", "status", "priority", "request_type", "resolved_at", "due_at"],
                name="sr_stats",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(details=""), name="sr_details_not_empty"),
            models.CheckConstraint(condition=models.Q(status__in=ServiceRequestStatus.values), name="sr_status_valid"),
            models.CheckConstraint(condition=models.Q(priority__in=Priority.values), name="sr_priority_valid"),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="sr_channel_valid"),
            # A position is both coordinates or neither, on the globe.
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="sr_position_valid",
            ),
            # Timestamps agree with the status: set when it is reached, cleared when left.
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, status__in=[*OPEN_STATUSES, "Cancelled"])
                | models.Q(resolved_at__isnull=False, status__in=["Resolved", "Closed"]),
                name="sr_resolved_at_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=False, status="Closed")
                | (models.Q(closed_at__isnull=True) & ~models.Q(status="Closed")),
                name="sr_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=False, status="Cancelled")
                | (models.Q(cancelled_at__isnull=True) & ~models.Q(status="Cancelled")),
                name="sr_cancelled_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.request_type} ({self.status})"

    # What the stored urgency follows: a save that writes any of them writes it too.
    URGENCY_INPUTS = frozenset({"status", "priority", "due_at"})

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or self.URGENCY_INPUTS.intersection(update_fields):
            self.urgency = urgency_of(self.status, self.priority, self.due_at)
            if update_fields is not None and "urgency" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "urgency"]
        super().save(*args, **kwargs)

    # Set by `with_public_timeline()` (Prefetch to_attr), or by the submission that wrote them.
    public_events: list["RequestEvent"]
    public_attachments: list["Attachment"]
    # Set by `services.service_request_lock`: who holds the row lock in this transaction.
    _locked_for: int

    def touch(self, *, public: bool) -> list[str]:
        """Record that the request changed now; return the fields to add to `save(update_fields=...)`.

        `public`: the customer can see the change (it moves `updated_at` and their ETag too).
        """
        now = timezone.now()
        self.staff_updated_at = now
        if not public:
            return ["staff_updated_at"]
        self.updated_at = now
        return ["staff_updated_at", "updated_at"]

    def customer_timeline(self) -> list["RequestEvent"]:
        """The events its customer may see (`RequestEvent.objects.public()`), prefetched by `with_public_timeline()`."""
        if hasattr(self, "public_events"):
            return self.public_events
        return list(self.events.public())

    def customer_attachments(self) -> list["Attachment"]:
        """The files its customer may see (`Attachment.objects.public()`), prefetched by `with_public_timeline()`."""
        if hasattr(self, "public_attachments"):
            return self.public_attachments
        return list(self.attachments.public())

    @property
    def reporter_name(self) -> str:
        """Who reported it: the account holder, else the contact name given."""
        if self.customer_id is not None:
            return self.customer.name or self.customer.username
        return self.contact_name or "Anonymous reporter"

    @property
    def reporter_email(self) -> str:
        """Where updates go: the contact email given with the request, else the account's."""
        return self.contact_email or (self.customer.email if self.customer_id is not None else "")

    @property
    def reporter_phone(self) -> str:
        return self.contact_phone or (self.customer.phone_number if self.customer_id is not None else "")

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def accepts_additions(self) -> bool:
        """Whether its customer may still add comments and files: until it is Closed or Cancelled."""
        return self.status not in (ServiceRequestStatus.CLOSED, ServiceRequestStatus.CANCELLED)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def is_emergency(self) -> bool:
        return self.request_type.is_emergency


class RequestEventQuerySet(models.QuerySet):
    def public(self):
        """What a customer may see of a timeline: every event not marked internal.

        Internal events stay with staff: internal notes and files, priority and assignment
        changes, escalations and deletion (the services mark them, see `services._record`).
        """
        return self.filter(is_internal=False)


class RequestEvent(models.Model):
    """One entry of a request's timeline: who did what, when, from what to what.

    Events outlive their request: deleting a request keeps its timeline (the
    foreign key is nulled, the reference is kept), so the history can be audited.
    """

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        STATUS_CHANGED = "status_changed", "Status changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        ASSIGNED = "assigned", "Assignee changed"
        UPDATED = "updated", "Details changed"
        COMMENT = "comment", "Customer comment"
        NOTE = "note", "Staff note"
        ATTACHMENT = "attachment", "Attachment added"
        CANCELLED = "cancelled", "Cancelled"
        REOPENED = "reopened", "Reopened"
        ESCALATED = "escalated", "Escalated"
        DELETED = "deleted", "Deleted"
        # A step of the emergency record (`emergencies`): `field` names the step.
        EMERGENCY = "emergency", "Emergency response"

    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    request_reference = models.CharField(max_length=16, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    is_internal = models.BooleanField(default=False, help_text="Internal events are never shown to the customer.")
    field = models.CharField(max_length=32, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RequestEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["service_request", "created_at", "id"], name="event_request_time")]

    def __str__(self) -> str:
        return (
            f"{self.request_reference} {self.kind} by {self.actor_name or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"
        )


def attachment_upload_to(instance, filename: str) -> str:
    """Store under a random name: the customer's file name never reaches the file system."""
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class AttachmentQuerySet(models.QuerySet):
    def public(self):
        """The files a customer may see and download: every one not marked internal (staff only)."""
        return self.filter(is_internal=False)


class Attachment(models.Model):
    """A photo or document attached to a request; served only to its customer and staff."""

    class ContentType(models.TextChoices):
        JPEG = "image/jpeg", "JPEG image"
        PNG = "image/png", "PNG image"
        PDF = "application/pdf", "PDF document"

    service_request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=32, choices=ContentType.choices)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    is_internal = models.BooleanField(
        default=False, help_text="Internal files (staff only) are never shown or served to the customer."
    )

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.service_request_id})"


class SearchDocumentField(models.TextField):
    """The words a request can be found by, indexed by the database's full-text engine.

    Queried with the `matches` lookup (see `search.py`): FULLTEXT on MySQL/MariaDB, FTS5 on
    SQLite, a GIN-indexed tsvector on PostgreSQL (the indexes are made by migration 0006).
    """


class RequestSearchDocument(models.Model):
    """One request's searchable words, its customer's included, as one text (see `search.py`)."""

    service_request = models.OneToOneField(
        ServiceRequest, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    body = SearchDocumentField()

    def __str__(self) -> str:
        return f"search document of {self.service_request_id}"


class RequestEscalation(models.Model):
    """A stage of escalation a request reached, and who was alerted: each stage happens once per request."""

    class Stage(models.TextChoices):
        OVERDUE = "overdue", "Past its due time"
        OVERDUE_LONG = "overdue_long", "Long past its due time"

    service_request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="escalations")
    stage = models.CharField(max_length=32, choices=Stage.choices)
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service_request", "stage"], name="escalation_once_per_stage")]

    def __str__(self) -> str:
        return f"{self.service_request_id} {self.stage} at {self.created_at:%Y-%m-%d %H:%M}"


def export_upload_to(instance, filename: str) -> str:
    return f"exports/{timezone.now():%Y/%m}/{instance.pk}.csv"


class ExportJob(models.Model):
    """A CSV export of the staff queue built by a task, downloadable by its requester until it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    query = models.CharField(max_length=2000, blank=True, help_text="The queue's filters, as a query string.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=export_upload_to, max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_requester"),
            models.Index(fields=["expires_at"], name="export_expires"),
            models.Index(fields=["status", "created_at"], name="export_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "ready", "failed"]), name="export_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"
