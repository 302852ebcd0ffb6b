"""JSON shapes of the emergency API: the report, the staff and engineer actions, the board and the record."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import PhoneNumberField
from accounts.models import PriorityServicesRegistration, User
from core.api.serializers import StrictInputSerializer
from utility_services.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    LocationInputSerializer,
    PersonSerializer,
    SafetyNoticeSerializer,
)
from utility_services.models import RequestType

from .. import local_time, services
from ..models import Classification, ClockState, Emergency, EmergencyEvent, MissedDeadline, Stage

# --- Fields ---------------------------------------------------------------------------


class EmergencyTypeField(serializers.SlugRelatedField):
    """An emergency request type by name ("Gas Leak", "Carbon Monoxide"); default: the first one."""

    def __init__(self, **kwargs):
        queryset = RequestType.objects.filter(is_active=True, is_emergency=True)
        super().__init__(slug_field="name", queryset=queryset, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        types = {request_type.name: request_type for request_type in self.get_queryset()}
        if data not in types:
            raise serializers.ValidationError(f'"{data}" is not an emergency type. Choose one of: {", ".join(types)}.')
        return types[data]


def _when_field(**kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("help_text", "When it happened (ISO 8601, with a time zone); default: now.")
    return serializers.DateTimeField(**kwargs)


def _answer(help_text: str):
    return serializers.BooleanField(required=False, allow_null=True, default=None, help_text=help_text)


def _text(max_length: int = 2000, **kwargs):
    return serializers.CharField(max_length=max_length, **kwargs)


# --- Input: reports -------------------------------------------------------------------


class EmergencyReportSerializer(LocationInputSerializer):
    """A gas-emergency report: a phone number, where, and the questions (each true, false or null)."""

    type_of_request = EmergencyTypeField(required=False, help_text="Default: Gas Leak.")
    phone = PhoneNumberField(
        required=False, help_text="A number to call you back on. Default for a logged-in customer: their account's."
    )
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    location_details = _text(
        500, required=False, allow_blank=True, default="", help_text="Where exactly, e.g. 'outside no. 12'."
    )
    details = _text(
        settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Anything else.",
    )
    inside = _answer("Is the smell inside a building (false: outside)?")
    gas_escaping = _answer("Is gas still escaping (can you still smell it)?")
    meter_off = _answer("Has the gas been turned off at the meter?")
    co_symptoms = _answer("Does anyone have carbon-monoxide symptoms (headache, dizziness, nausea)?")
    vulnerable_present = _answer("Is anyone vulnerable there (elderly, disabled, ill, young children)?")

    def answers(self) -> services.Answers:
        return services.Answers(**{name: self.validated_data[name] for name in services.Answers.__dataclass_fields__})


class PhonedReportSerializer(EmergencyReportSerializer):
    """A report a dispatcher takes on the phone: the caller's time of call, optionally their account."""

    received_at = serializers.DateTimeField(help_text="The caller's time of call (within the last 24 hours).")
    customer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=User.Role.CUSTOMER, is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The caller's customer account id, if they have one.",
    )


# --- Input: the response --------------------------------------------------------------


class DispatchSerializer(StrictInputSerializer):
    engineer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=User.Role.ENGINEER, is_active=True), help_text="An active engineer's id."
    )
    occurred_at = _when_field()
    note = _text(required=False, allow_blank=True, default="")


class ClassificationSerializer(StrictInputSerializer):
    classification = serializers.ChoiceField(choices=Classification.choices)
    reason = _text(1000)


class StepSerializer(StrictInputSerializer):
    """A response step. ``deferred`` needs a reason; see the record's ``allowed_steps``."""

    step = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in services.STEP_KINDS])
    occurred_at = _when_field()
    reason = _text(1000, required=False, allow_blank=True, default="", help_text="Why the repair is deferred.")
    note = _text(required=False, allow_blank=True, default="")


class RecordSerializer(StrictInputSerializer):
    """An action taken, advice given (the reporter sees it on their request) or an internal note."""

    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in services.RECORD_KINDS])
    body = _text()
    occurred_at = _when_field()


class IncidentSerializer(StrictInputSerializer):
    """What happened: at least one of the four must be true."""

    injury = serializers.BooleanField(default=False)
    fire = serializers.BooleanField(default=False)
    explosion = serializers.BooleanField(default=False)
    evacuation = serializers.BooleanField(default=False)
    description = _text(required=False, allow_blank=True, default="")
    occurred_at = _when_field()


class RegulatorNotifiedSerializer(StrictInputSerializer):
    regulator = _text(100, help_text="Who was told, e.g. 'Railroad Commission of Texas', 'HSE'.")
    occurred_at = _when_field(help_text="When the regulator was told; default: now.")
    reference = _text(100, required=False, allow_blank=True, default="")
    note = _text(required=False, allow_blank=True, default="")


class CorrectionSerializer(StrictInputSerializer):
    event = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of the entry whose time was wrong."
    )
    occurred_at = serializers.DateTimeField(help_text="The right time.")
    reason = _text(1000)


class ReviewSerializer(StrictInputSerializer):
    comment = _text()


class MissReasonSerializer(StrictInputSerializer):
    """Why a deadline was missed: the attendance standard (1 or 2 hours) or made safe within 12 hours."""

    deadline = serializers.ChoiceField(choices=MissedDeadline.choices)
    reason = _text(1000)


class PhotoUploadSerializer(AttachmentUploadSerializer):
    is_internal = serializers.BooleanField(default=True, help_text="Internal (staff only) by default.")


# --- Output ---------------------------------------------------------------------------


class AnswersSerializer(serializers.Serializer):
    inside = serializers.BooleanField(allow_null=True)
    gas_escaping = serializers.BooleanField(allow_null=True)
    meter_off = serializers.BooleanField(allow_null=True)
    co_symptoms = serializers.BooleanField(allow_null=True)
    vulnerable_present = serializers.BooleanField(allow_null=True)


class EmergencyReportResultSerializer(serializers.Serializer):
    """What a reporter gets back: the safety notice first, then their report's number."""

    safety_notice = SafetyNoticeSerializer()
    reference = serializers.CharField(help_text="The report's number: quote it when you call.")
    emergency_phone = serializers.CharField()
    received_at = serializers.DateTimeField()
    track_url = serializers.CharField(allow_null=True, help_text="Where a logged-in customer follows the request.")


class EmergencyEventSerializer(serializers.ModelSerializer):
    """One entry of the record, with its effective time (after corrections)."""

    actor = serializers.CharField(source="actor_name", read_only=True)
    engineer = PersonSerializer(read_only=True, allow_null=True)
    effective_occurred_at = serializers.SerializerMethodField()
    is_public = serializers.BooleanField(read_only=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        model = EmergencyEvent
        fields = [
            "id",
            "kind",
            "recorded_at",
            "occurred_at",
            "effective_occurred_at",
            "actor",
            "engineer",
            "corrects",
            "reason",
            "body",
            "data",
            "is_public",
        ]
        read_only_fields = fields

    def get_effective_occurred_at(self, event) -> str:
        corrected = self.context.get("corrected", {})
        return serializers.DateTimeField().to_representation(corrected.get(event.pk, event.occurred_at))


class EmergencyRowSerializer(serializers.ModelSerializer):
    """A record as a row of the dispatch board (or an engineer's list): the clock and who is on it."""

    request_id = serializers.IntegerField(source="service_request_id", read_only=True)
    type_of_request = serializers.CharField(source="service_request.request_type.name", read_only=True)
    engineer = PersonSerializer(read_only=True, allow_null=True)
    clock_state = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField()
    classification = serializers.ChoiceField(choices=Classification.choices, read_only=True)
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)

    class Meta:
        model = Emergency
        fields = [
            "id",
            "reference",
            "request_id",
            "type_of_request",
            "channel",
            "classification",
            "stage",
            "is_vulnerable",
            "vulnerable_present",
            "on_priority_register",
            "received_at",
            "deadline_at",
            "standard_deadline_at",
            "make_safe_deadline_at",
            "clock_state",
            "seconds_left",
            "dispatched_at",
            "arrived_at",
            "engineer",
            "address",
            "postcode",
            "latitude",
            "longitude",
            "location_details",
            "reporter_phone",
        ]
        read_only_fields = fields

    def _now(self):
        return self.context.setdefault("now", timezone.now())

    @extend_schema_field(serializers.ChoiceField(choices=ClockState.choices))
    def get_clock_state(self, emergency) -> str:
        return emergency.clock_state(self._now())

    def get_seconds_left(self, emergency) -> int:
        """Seconds to the deadline (negative when late); stopped at the arrival."""
        return emergency.seconds_left(self._now())


class PriorityServicesSummarySerializer(serializers.ModelSerializer):
    category_labels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = PriorityServicesRegistration
        fields = ["categories", "category_labels", "needs"]
        read_only_fields = fields


class EmergencyDetailSerializer(EmergencyRowSerializer):
    """The whole record: the answers, every effective time, every entry, and what may be recorded next."""

    answers = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    allowed_steps = serializers.SerializerMethodField()
    priority_services = serializers.SerializerMethodField()
    attended_within_standard = serializers.BooleanField(read_only=True, allow_null=True)
    made_safe_in_time = serializers.BooleanField(read_only=True, allow_null=True)
    request_status = serializers.CharField(source="service_request.status", read_only=True)
    details = serializers.CharField(source="service_request.details", read_only=True)
    derived_classification = serializers.ChoiceField(choices=Classification.choices, read_only=True)

    class Meta(EmergencyRowSerializer.Meta):
        fields = [
            *EmergencyRowSerializer.Meta.fields,
            "details",
            "request_status",
            "answers",
            "derived_classification",
            "en_route_at",
            "made_safe_at",
            "cleared_at",
            "deferred_at",
            "closed_at",
            "attended_within_standard",
            "made_safe_in_time",
            "reviewed_at",
            "regulator_notified_at",
            "has_incident",
            "priority_services",
            "allowed_steps",
            "events",
        ]
        read_only_fields = fields

    def _events(self, emergency) -> list:
        if "events" not in self.context:
            self.context["events"] = list(emergency.events.select_related("engineer").order_by("recorded_at", "id"))
        return self.context["events"]

    @extend_schema_field(AnswersSerializer)
    def get_answers(self, emergency) -> dict:
        return AnswersSerializer(emergency).data

    @extend_schema_field(EmergencyEventSerializer(many=True))
    def get_events(self, emergency) -> list:
        events = self._events(emergency)
        corrected = {}
        for event in events:
            if event.kind == EmergencyEvent.Kind.CORRECTION:
                corrected[event.corrects_id] = event.occurred_at
        return EmergencyEventSerializer(events, many=True, context={"corrected": corrected}).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=services.STEP_KINDS)))
    def get_allowed_steps(self, emergency) -> list:
        return services.allowed_steps(emergency, self._events(emergency))

    @extend_schema_field(PriorityServicesSummarySerializer(allow_null=True))
    def get_priority_services(self, emergency):
        """The reporter's current Priority Services Register entry (null without one)."""
        customer_id = emergency.service_request.customer_id
        registration = PriorityServicesRegistration.objects.filter(user_id=customer_id).first() if customer_id else None
        return PriorityServicesSummarySerializer(registration).data if registration else None


class StaffEmergencyDetailSerializer(EmergencyDetailSerializer):
    """The whole record for dispatchers, with the request's files."""

    attachments = serializers.SerializerMethodField()

    class Meta(EmergencyDetailSerializer.Meta):
        fields = [*EmergencyDetailSerializer.Meta.fields, "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, emergency):
        context = {"download_url_name": "api-admin-request-attachment"}
        return AttachmentSerializer(emergency.service_request.attachments.all(), many=True, context=context).data


def report_result(emergency: Emergency, notice: dict, *, track: bool) -> dict:
    """The report response's data: the safety notice leads."""
    return {
        "safety_notice": notice,
        "reference": emergency.reference,
        "emergency_phone": notice["emergency_phone"],
        "received_at": serializers.DateTimeField().to_representation(emergency.received_at),
        "track_url": reverse("api-track-detail", args=[emergency.service_request_id]) if track else None,
    }


# --- Reports (output of emergencies.reports; the schema of the JSON) ---------------------


class LocalDateTimeField(serializers.DateTimeField):
    """A time in the utility's time zone, with its offset (e.g. 2024-03-31T02:30:00+01:00)."""

    def to_representation(self, value):
        return None if value is None else local_time.local(value).isoformat()


def _local_time(**kwargs):
    return LocalDateTimeField(read_only=True, **kwargs)


def _minutes_field(help_text: str):
    return serializers.FloatField(allow_null=True, read_only=True, help_text=help_text)


class ReportPeriodSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["date", "month", "year"])
    key = serializers.CharField(help_text="As asked for: 2024-03-31, 2024-03 or 2024.")
    label = serializers.CharField()
    time_zone = serializers.CharField(help_text="UTILITY_TIME_ZONE: the zone every time is counted and shown in.")
    start = _local_time(help_text="Local midnight starting the period (inclusive).")
    end = _local_time(help_text="Local midnight ending it (exclusive).")
    hours = serializers.FloatField(help_text="Its length: a day across a daylight-saving change has 23 or 25.")


class _ReportSerializer(serializers.Serializer):
    report = serializers.CharField()
    period = ReportPeriodSerializer()
    generated_at = _local_time()


class StandardFiguresSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Emergencies of this class received (stood-down ones left out).")
    attended_in_time = serializers.IntegerField(help_text="Arrived by the 1- or 2-hour standard deadline.")
    attended_late = serializers.IntegerField()
    not_attended = serializers.IntegerField(help_text="No arrival, and the standard deadline has passed.")
    pending = serializers.IntegerField(help_text="No arrival yet, deadline still ahead: not yet counted.")
    counted = serializers.IntegerField(help_text="attended_in_time + attended_late + not_attended: the denominator.")
    missed = serializers.IntegerField(help_text="attended_late + not_attended.")
    percent_in_time = serializers.FloatField(
        allow_null=True, help_text="attended_in_time / (in time + late + not attended), two decimals; null with none."
    )
    meets_target = serializers.BooleanField(allow_null=True, help_text="At least 97% (null with none).")


class StandardClassesSerializer(serializers.Serializer):
    uncontrolled = StandardFiguresSerializer()
    controlled = StandardFiguresSerializer()


class StandardMonthSerializer(StandardClassesSerializer):
    period = ReportPeriodSerializer()


class MissReasonOutputSerializer(serializers.Serializer):
    reason = serializers.CharField()
    recorded_at = _local_time()
    by = serializers.CharField()


class StandardMissSerializer(serializers.Serializer):
    emergency_id = serializers.IntegerField()
    request_id = serializers.IntegerField(help_text="The service request the record belongs to.")
    reference = serializers.CharField(help_text="The record number.")
    type_of_request = serializers.CharField()
    classification = serializers.ChoiceField(choices=Classification.choices)
    is_vulnerable = serializers.BooleanField()
    received_at = _local_time()
    standard_deadline_at = _local_time()
    dispatched_at = _local_time(allow_null=True)
    arrived_at = _local_time(allow_null=True)
    outcome = serializers.ChoiceField(choices=["attended_late", "not_attended"])
    minutes_to_dispatch = _minutes_field("Receipt to first dispatch.")
    response_minutes = _minutes_field("Receipt to first arrival.")
    minutes_late = _minutes_field("Standard deadline to arrival.")
    reasons = MissReasonOutputSerializer(many=True, help_text="Every reason recorded for missing the standard.")


class StandardOfServiceSerializer(_ReportSerializer):
    target_percent = serializers.IntegerField()
    standard_hours = serializers.DictField(child=serializers.IntegerField())
    totals = StandardClassesSerializer()
    months = StandardMonthSerializer(many=True)
    misses = StandardMissSerializer(many=True)
    stood_down = serializers.IntegerField(help_text="Records stood down as not emergencies: not counted.")


class DailyLogEntrySerializer(serializers.Serializer):
    emergency_id = serializers.IntegerField()
    request_id = serializers.IntegerField(help_text="The service request the record belongs to.")
    reference = serializers.CharField(help_text="The record number.")
    location = serializers.CharField()
    address = serializers.CharField()
    postcode = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    location_details = serializers.CharField()
    type_of_request = serializers.CharField()
    classification = serializers.ChoiceField(choices=Classification.choices)
    channel = serializers.CharField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    received_at = _local_time()
    dispatched_at = _local_time(allow_null=True, help_text="First dispatch.")
    arrived_at = _local_time(allow_null=True, help_text="First arrival.")
    made_safe_at = _local_time(allow_null=True)
    closed_at = _local_time(allow_null=True)
    response_minutes = _minutes_field("Receipt to first arrival.")
    engineer = serializers.CharField()
    times_corrected = serializers.BooleanField(help_text="A time of this record was corrected (shown corrected).")


class DailyLogSerializer(_ReportSerializer):
    count = serializers.IntegerField()
    entries = DailyLogEntrySerializer(many=True)


class BandSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    up_to_minutes = serializers.IntegerField(allow_null=True, help_text="Inclusive upper limit; null: none.")


class BandRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    minutes_0_15 = serializers.IntegerField()
    minutes_16_30 = serializers.IntegerField()
    minutes_31_45 = serializers.IntegerField()
    minutes_46_60 = serializers.IntegerField()
    over_60 = serializers.IntegerField()
    attended = serializers.IntegerField()
    not_attended = serializers.IntegerField(help_text="Never attended: in no band, median or mean.")
    total = serializers.IntegerField()
    median_minutes = serializers.FloatField(allow_null=True)
    mean_minutes = serializers.FloatField(allow_null=True)


class BusinessHoursSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    days = serializers.CharField()


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class MonthlySummarySerializer(_ReportSerializer):
    bands = BandSerializer(many=True)
    business_hours = BusinessHoursSerializer()
    holiday_region = serializers.CharField()
    holidays = HolidaySerializer(many=True)
    rows = BandRowSerializer(many=True, help_text="Weekday business hours, weekday after hours, weekend or holiday.")
    all = BandRowSerializer()
    stood_down = serializers.IntegerField()


class ReviewCountsSerializer(serializers.Serializer):
    records = serializers.IntegerField()
    reviewed_in_time = serializers.IntegerField()
    reviewed_late = serializers.IntegerField()
    not_reviewed = serializers.IntegerField(help_text="Not reviewed, and the review is overdue.")
    pending = serializers.IntegerField(help_text="Not reviewed yet, not yet due.")


class LateReviewSerializer(serializers.Serializer):
    emergency_id = serializers.IntegerField()
    request_id = serializers.IntegerField(help_text="The service request the record belongs to.")
    reference = serializers.CharField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    received_at = _local_time()
    review_due_at = _local_time()
    reviewed_at = _local_time(allow_null=True)
    outcome = serializers.ChoiceField(choices=["reviewed_late", "not_reviewed"])
    hours_late = serializers.FloatField(help_text="Due time to the review (or to now, when not reviewed).")


class MakeSafeCountsSerializer(serializers.Serializer):
    escapes = serializers.IntegerField()
    made_safe_in_time = serializers.IntegerField()
    made_safe_late = serializers.IntegerField()
    not_made_safe = serializers.IntegerField()
    pending = serializers.IntegerField()


class LateMakeSafeSerializer(serializers.Serializer):
    emergency_id = serializers.IntegerField()
    request_id = serializers.IntegerField(help_text="The service request the record belongs to.")
    reference = serializers.CharField()
    type_of_request = serializers.CharField()
    classification = serializers.ChoiceField(choices=Classification.choices)
    stage = serializers.ChoiceField(choices=Stage.choices)
    received_at = _local_time()
    make_safe_deadline_at = _local_time()
    made_safe_at = _local_time(allow_null=True)
    outcome = serializers.ChoiceField(choices=["made_safe_late", "not_made_safe"])
    hours_to_make_safe = serializers.FloatField(allow_null=True)
    reasons = MissReasonOutputSerializer(many=True)


class ReviewAndMakeSafeSerializer(_ReportSerializer):
    review_by = serializers.CharField(help_text="Local time on the next business day.")
    review = ReviewCountsSerializer()
    not_reviewed_in_time = LateReviewSerializer(many=True)
    make_safe = MakeSafeCountsSerializer()
    not_made_safe_in_time = LateMakeSafeSerializer(many=True)
    stood_down = serializers.IntegerField()
