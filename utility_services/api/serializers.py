"""JSON shapes of the service-request API: what customers and staff send and see."""

import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from core.api.serializers import StrictInputSerializer

from .. import workflow
from ..emergency import safety_notice
from ..models import Attachment, ExportJob, Priority, RequestAttribute, RequestEvent, RequestType, ServiceRequest

# --- Fields ---------------------------------------------------------------------------


class RequestTypeField(serializers.SlugRelatedField):
    """A request type given by its name, e.g. "New Connection"; only active types are accepted."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="name", queryset=RequestType.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # Compared in Python: MySQL's collation would also match "gas leak " to "Gas Leak".
        types = {request_type.name: request_type for request_type in self.get_queryset()}
        if data not in types:
            names = ", ".join(types)
            raise serializers.ValidationError(f'"{data}" is not a request type. Choose one of: {names}.')
        return types[data]


class PriorityField(serializers.ChoiceField):
    """A priority by its name ("Low", "Normal", "High", "Emergency"), stored as a number."""

    def __init__(self, **kwargs):
        super().__init__(choices=Priority.labels, **kwargs)

    def to_internal_value(self, data):
        label = super().to_internal_value(data)
        return Priority.values[Priority.labels.index(label)]

    def to_representation(self, value):
        return Priority(value).label


ANSWER_SCHEMA = {
    "oneOf": [
        {"type": "string", "maxLength": 4000},
        {"type": "number"},
        {"type": "array", "items": {"type": "string", "maxLength": 300}, "maxItems": 50},
    ]
}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": ANSWER_SCHEMA,
        "maxProperties": 50,
        "description": "Answers to the type's questions (see GET /api/request-types/): {code: answer}. "
        "Text for string, text, datetime (ISO 8601) and singlevaluelist (the value's key); a number for number; "
        "a list of keys for multivaluelist. In multipart/form-data, send this object JSON-encoded in one "
        "`attributes` field. Each wrong answer is a 400 under details.attributes.<code>.",
    }
)
class AttributesField(serializers.Field):
    """The answers object; its shape is checked here, its content by `attributes.clean_answers`."""

    default_error_messages = {
        "invalid": "Send the answers as an object: {{code: answer}}.",
        "invalid_json": "In a form upload, send the answers as one JSON-encoded object.",
        "too_many": "Too many answers.",
    }

    def to_internal_value(self, data):
        if isinstance(data, str):  # multipart/form-data: one JSON-encoded field
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid_json")
        if not isinstance(data, dict):
            self.fail("invalid")
        if len(data) > 50:
            self.fail("too_many")
        return data

    def to_representation(self, value):
        return value


def _text_field(**kwargs):
    return serializers.CharField(max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH, **kwargs)


def _files_field(**kwargs):
    limit = settings.ATTACHMENT_MAX_PER_REQUEST
    return serializers.ListField(
        child=serializers.FileField(),
        help_text=f"JPEG, PNG or PDF files (checked from their content), at most {limit} per request "
        f"and {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB each. Send as multipart/form-data.",
        **kwargs,
    )


# --- Input ----------------------------------------------------------------------------


class LocationInputSerializer(StrictInputSerializer):
    """Where the problem is; the address defaults to the customer's."""

    address = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Where the problem is. Default (omitted or blank): your account's address.",
    )
    postcode = serializers.CharField(max_length=16, required=False, allow_blank=True, help_text="Postcode or ZIP.")
    latitude = serializers.FloatField(
        min_value=-90, max_value=90, required=False, help_text="WGS84 degrees; send with longitude."
    )
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, help_text="WGS84 degrees; send with latitude."
    )


class SubmitSerializer(LocationInputSerializer):
    type_of_request = RequestTypeField()
    details = _text_field()
    attributes = AttributesField(required=False)
    files = _files_field(required=False)


class StaffUpdateSerializer(StrictInputSerializer):
    """What staff may change; any subset may be sent."""

    status = serializers.ChoiceField(choices=ServiceRequest.Status.choices, required=False)
    priority = PriorityField(required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.assignable(),
        allow_null=True,
        required=False,
        help_text="The id of an active agent or admin, or null to unassign.",
    )
    details = _text_field(required=False)
    resolution_details = _text_field(required=False, allow_blank=True)
    type_of_request = RequestTypeField(required=False)


class CommentSerializer(StrictInputSerializer):
    body = _text_field()


class ReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class NoteSerializer(StrictInputSerializer):
    body = _text_field()
    is_internal = serializers.BooleanField(
        default=True, help_text="Internal notes are never shown or sent to the customer. Default: internal."
    )


class AttachmentUploadSerializer(StrictInputSerializer):
    files = _files_field(min_length=1)


class StaffAttachmentUploadSerializer(AttachmentUploadSerializer):
    is_internal = serializers.BooleanField(
        default=False, help_text="Internal files are never shown or served to the customer."
    )


# --- Output ---------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    """One timeline entry."""

    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = RequestEvent
        fields = ["id", "kind", "actor", "created_at", "field", "old_value", "new_value", "body"]
        read_only_fields = fields


class StaffEventSerializer(EventSerializer):
    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "is_internal"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at", "is_internal", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        name = self.context.get("download_url_name", "api-track-attachment")
        return reverse(name, args=[attachment.service_request_id, attachment.pk])


class SafetyNoticeSerializer(serializers.Serializer):
    title = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField())
    emergency_phone = serializers.CharField()


@extend_schema_field(SafetyNoticeSerializer(allow_null=True))
class SafetyNoticeField(serializers.Field):
    """The gas-emergency safety notice for emergency requests; null for the others."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, service_request):
        return safety_notice() if service_request.request_type.is_emergency else None


class ServiceRequestSerializer(serializers.ModelSerializer):
    """A request as its customer sees it."""

    type_of_request = serializers.CharField(source="request_type.name", read_only=True)
    is_emergency = serializers.BooleanField(source="request_type.is_emergency", read_only=True)
    safety_notice = SafetyNoticeField()
    can_cancel = serializers.SerializerMethodField()
    can_reopen = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "reference",
            "type_of_request",
            "details",
            "status",
            "is_emergency",
            "submitted_at",
            "updated_at",
            "due_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "resolution_details",
            "channel",
            "address",
            "postcode",
            "latitude",
            "longitude",
            "attributes",
            "safety_notice",
            "can_cancel",
            "can_reopen",
        ]
        read_only_fields = fields

    def get_can_cancel(self, service_request) -> bool:
        return workflow.customer_can_cancel(service_request)

    def get_can_reopen(self, service_request) -> bool:
        return workflow.customer_can_reopen(service_request)


class ServiceRequestDetailSerializer(ServiceRequestSerializer):
    """One request with its public timeline and attachments."""

    timeline = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "timeline", "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, service_request):
        # Customers see their files and the staff's public ones, never internal ones.
        return AttachmentSerializer(service_request.customer_attachments(), many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, service_request):
        # Customers see public events only: internal notes, priority and assignment stay with staff.
        return EventSerializer(service_request.customer_timeline(), many=True).data


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "username"]
        read_only_fields = fields


class CustomerSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "customer_id", "username", "name", "email", "phone_number", "address"]
        read_only_fields = fields


class ContactSerializer(serializers.Serializer):
    """Who to call back: the contact details given with the request, else the account's."""

    name = serializers.CharField(source="reporter_name", read_only=True)
    email = serializers.CharField(source="reporter_email", read_only=True)
    phone = serializers.CharField(source="reporter_phone", read_only=True)


class StaffServiceRequestSerializer(serializers.ModelSerializer):
    """A request as staff see it in the queue."""

    type_of_request = serializers.CharField(source="request_type.name", read_only=True)
    is_emergency = serializers.BooleanField(source="request_type.is_emergency", read_only=True)
    priority = PriorityField(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    customer = CustomerSummarySerializer(read_only=True, allow_null=True)
    contact = ContactSerializer(source="*", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "reference",
            "type_of_request",
            "details",
            "status",
            "priority",
            "is_emergency",
            "is_overdue",
            "assignee",
            "customer",
            "contact",
            "channel",
            "address",
            "postcode",
            "latitude",
            "longitude",
            "attributes",
            "submitted_at",
            "updated_at",
            "staff_updated_at",
            "due_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "resolution_details",
            "allowed_transitions",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, service_request) -> list[str]:
        return workflow.allowed_transitions(service_request.status)


class StaffServiceRequestDetailSerializer(StaffServiceRequestSerializer):
    """One request with its whole timeline, internal notes included, and attachments."""

    timeline = StaffEventSerializer(source="events", many=True, read_only=True)
    attachments = serializers.SerializerMethodField()
    safety_notice = SafetyNoticeField()

    class Meta(StaffServiceRequestSerializer.Meta):
        fields = [*StaffServiceRequestSerializer.Meta.fields, "safety_notice", "timeline", "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, service_request):
        context = {"download_url_name": "api-admin-request-attachment"}
        return AttachmentSerializer(service_request.attachments.all(), many=True, context=context).data


class AttributeValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class RequestAttributeSerializer(serializers.ModelSerializer):
    """A question the type asks; answer it in `attributes` under its `code`."""

    values = AttributeValueSerializer(many=True, read_only=True)

    class Meta:
        model = RequestAttribute
        fields = ["code", "description", "order", "datatype", "required", "variable", "datatype_description", "values"]
        read_only_fields = fields


class RequestTypeSerializer(serializers.ModelSerializer):
    attributes = RequestAttributeSerializer(many=True, read_only=True)

    class Meta:
        model = RequestType
        fields = ["name", "code", "description", "is_emergency", "target_resolution_hours", "attributes"]
        read_only_fields = fields


class ExportJobSerializer(serializers.ModelSerializer):
    """A CSV export built by a task: its state and, once ready, where to download it."""

    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    status = serializers.ChoiceField(choices=ExportJob.Status.choices, read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "status",
            "query",
            "requested_by",
            "row_count",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, job) -> str | None:
        if job.status != ExportJob.Status.READY:
            return None
        return reverse("api-admin-export-download", kwargs={"export_id": job.pk})


# --- Hot lists as plain dicts ---------------------------------------------------------
# The customer's track list and the staff queue are the most requested pages: a ModelSerializer
# costs about 25 µs per object here, a dict about 2 µs. These build exactly what
# ServiceRequestSerializer and StaffServiceRequestSerializer write (test_plain_rows.py compares
# them field by field); a field added to a serializer must be added here too, which that test
# catches.


def _datetime_writer():
    """DRF's DateTimeField output: in the current time zone, ISO 8601, "Z" for UTC."""
    zone = timezone.get_current_timezone()

    def write(value):
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _float(value):
    return None if value is None else float(value)


def track_rows(requests) -> list[dict]:
    """`ServiceRequestSerializer(requests, many=True).data`, as plain dicts."""
    dt = _datetime_writer()
    rows = []
    for r in requests:
        emergency = r.request_type.is_emergency
        rows.append(
            {
                "id": r.id,
                "reference": r.reference,
                "type_of_request": r.request_type.name,
                "details": r.details,
                "status": str(r.status),
                "is_emergency": emergency,
                "submitted_at": dt(r.submitted_at),
                "updated_at": dt(r.updated_at),
                "due_at": dt(r.due_at),
                "resolved_at": dt(r.resolved_at),
                "closed_at": dt(r.closed_at),
                "cancelled_at": dt(r.cancelled_at),
                "resolution_details": r.resolution_details,
                "channel": str(r.channel),
                "address": r.address,
                "postcode": r.postcode,
                "latitude": _float(r.latitude),
                "longitude": _float(r.longitude),
                "attributes": r.attributes,
                "safety_notice": safety_notice() if emergency else None,
                "can_cancel": workflow.customer_can_cancel(r),
                "can_reopen": workflow.customer_can_reopen(r),
            }
        )
    return rows


def _person(user):
    return None if user is None else {"id": user.id, "name": user.name, "username": user.username}


def _customer_summary(user):
    if user is None:
        return None
    return {
        "id": user.id,
        "customer_id": user.customer_id,
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "phone_number": user.phone_number,
        "address": user.address,
    }


def staff_rows(requests) -> list[dict]:
    """`StaffServiceRequestSerializer(requests, many=True).data`, as plain dicts."""
    dt = _datetime_writer()
    now = timezone.now()
    rows = []
    for r in requests:
        customer = r.customer if r.customer_id is not None else None
        rows.append(
            {
                "id": r.id,
                "reference": r.reference,
                "type_of_request": r.request_type.name,
                "details": r.details,
                "status": str(r.status),
                "priority": Priority(r.priority).label,
                "is_emergency": r.request_type.is_emergency,
                "is_overdue": r.is_open and r.due_at is not None and r.due_at < now,
                "assignee": _person(r.assignee if r.assignee_id is not None else None),
                "customer": _customer_summary(customer),
                "contact": {"name": r.reporter_name, "email": r.reporter_email, "phone": r.reporter_phone},
                "channel": str(r.channel),
                "address": r.address,
                "postcode": r.postcode,
                "latitude": _float(r.latitude),
                "longitude": _float(r.longitude),
                "attributes": r.attributes,
                "submitted_at": dt(r.submitted_at),
                "updated_at": dt(r.updated_at),
                "staff_updated_at": dt(r.staff_updated_at),
                "due_at": dt(r.due_at),
                "resolved_at": dt(r.resolved_at),
                "closed_at": dt(r.closed_at),
                "cancelled_at": dt(r.cancelled_at),
                "resolution_details": r.resolution_details,
                "allowed_transitions": workflow.allowed_transitions(r.status),
            }
        )
    return rows
