"""Emergency API: anyone reports; dispatchers (agents, admins) run the board; engineers record their steps.

Views are thin: a serializer parses, one service call acts (the services check who may do
what), the envelope carries the result. Engineers reach only
`Emergency.objects.for_engineer(user)`: anything else is a 404.
"""

from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny

from accounts.models import User
from core.api.exceptions import error_body
from core.api.idempotency import idempotent
from core.api.parsers import JSONParser, MultiPartParser
from core.api.permissions import IsEngineer, IsStaffMember
from core.api.responses import envelope
from core.api.throttling import AddressThrottle
from utility_services.emergency import safety_notice
from utility_services.models import RequestType, ServiceRequest

from .. import reports, services
from ..models import Emergency, EmergencyEvent
from .serializers import (
    ClassificationSerializer,
    CorrectionSerializer,
    DailyLogSerializer,
    DispatchSerializer,
    EmergencyDetailSerializer,
    EmergencyEventSerializer,
    EmergencyReportResultSerializer,
    EmergencyReportSerializer,
    EmergencyRowSerializer,
    IncidentSerializer,
    MissReasonSerializer,
    MonthlySummarySerializer,
    PhonedReportSerializer,
    PhotoUploadSerializer,
    RecordSerializer,
    RegulatorNotifiedSerializer,
    ReviewAndMakeSafeSerializer,
    ReviewSerializer,
    StaffEmergencyDetailSerializer,
    StandardOfServiceSerializer,
    StepSerializer,
    report_result,
)


def _parse(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer


def _default_type(serializer) -> RequestType:
    chosen = serializer.validated_data.get("type_of_request")
    if chosen is not None:
        return chosen
    return RequestType.objects.filter(is_active=True, is_emergency=True).order_by("sort_order", "name").first()


def _report_kwargs(serializer) -> dict:
    data = serializer.validated_data
    return {
        "request_type": _default_type(serializer),
        "phone": data.get("phone", ""),
        "contact_name": data["name"],
        "address": data.get("address"),
        "postcode": data.get("postcode", ""),
        "latitude": data.get("latitude"),
        "longitude": data.get("longitude"),
        "location_details": data["location_details"],
        "details": data["details"],
        "answers": serializer.answers(),
    }


# --- Anyone ----------------------------------------------------------------------------


class EmergencyReportView(generics.GenericAPIView):
    """Report a gas emergency, with or without an account: the answer always leads with the safety notice.

    No login is needed; a logged-in customer's report is theirs, prefilled from their
    account. Anonymous callers need no CSRF token (DRF checks it only for a session), and
    the view parses JSON only, so no cross-site form can drive it. Every failure, a
    throttled or invalid report included, still carries the emergency number and the safety
    steps in ``details``: it is never a dead end.
    """

    permission_classes = [AllowAny]
    throttle_classes = [AddressThrottle]
    throttle_scope = "emergency_report"
    parser_classes = [JSONParser]
    serializer_class = EmergencyReportSerializer

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        notice = safety_notice()
        body = response.data if isinstance(response.data, dict) else error_body(str(exc))
        details = body.get("details") or {}
        phone = notice["emergency_phone"]
        response.data = error_body(
            f"If you smell gas or suspect carbon monoxide, call {phone} now. {body.get('error', '')}",
            {**details, "emergency_phone": notice["emergency_phone"], "safety_notice": notice},
        )
        return response

    @extend_schema(
        request=EmergencyReportSerializer,
        responses={201: EmergencyReportResultSerializer},
        summary="Report a gas emergency (no login needed); the response leads with the safety notice",
    )
    def post(self, request):
        serializer = _parse(EmergencyReportSerializer, request)
        user = request.user
        reporter = user if user.is_authenticated and user.role == User.Role.CUSTOMER else None
        channel = ServiceRequest.Channel.API
        emergency = services.emergency_report(reporter=reporter, channel=channel, **_report_kwargs(serializer))
        notice = safety_notice()
        return envelope(
            f"{notice['title']}. Your report {emergency.reference} has been recorded.",
            report_result(emergency, notice, track=reporter is not None),
            status=status.HTTP_201_CREATED,
        )


# --- Dispatchers -----------------------------------------------------------------------


class StaffEmergencyMixin:
    permission_classes = [IsStaffMember]
    lookup_url_kwarg = "emergency_id"
    queryset = Emergency.objects.with_related()


class StaffEmergencyListView(StaffEmergencyMixin, generics.ListAPIView):
    """The dispatch board: open emergencies, undispatched first, then by the time left on their clock."""

    serializer_class = EmergencyRowSerializer
    list_message = "Dispatch board retrieved successfully"

    def get_queryset(self):
        return Emergency.objects.board()

    @extend_schema(summary="The dispatch board: open emergencies by deadline, undispatched first (staff)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PhonedReportSerializer,
        responses={201: StaffEmergencyDetailSerializer},
        summary="Enter a report phoned in, with the caller's time of call (staff)",
    )
    @idempotent
    def post(self, request):
        serializer = _parse(PhonedReportSerializer, request)
        emergency = services.emergency_report(
            reporter=serializer.validated_data["customer"],
            channel=ServiceRequest.Channel.PHONE,
            entered_by=request.user,
            received_at=serializer.validated_data["received_at"],
            **_report_kwargs(serializer),
        )
        return envelope(
            f"Emergency {emergency.reference} recorded",
            StaffEmergencyDetailSerializer(Emergency.objects.with_related().get(pk=emergency.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class StaffEmergencyActionView(StaffEmergencyMixin, generics.GenericAPIView):
    """Base of the POSTs on one record: parse, call one service, answer with the new entry."""

    input_serializer = None
    done = ""

    def act(self, request, emergency, data) -> EmergencyEvent:
        raise NotImplementedError

    def post(self, request, emergency_id):
        data = _parse(self.input_serializer, request).validated_data
        event = self.act(request, self.get_object(), data)
        return envelope(self.done, EmergencyEventSerializer(event).data, status=status.HTTP_201_CREATED)


def _action_schema(serializer, summary):
    return extend_schema(request=serializer, responses={201: EmergencyEventSerializer}, summary=summary)


class StaffEmergencyDetailView(StaffEmergencyMixin, generics.GenericAPIView):
    serializer_class = StaffEmergencyDetailSerializer

    @extend_schema(summary="One emergency's whole record (staff)")
    def get(self, request, emergency_id):
        return envelope("Emergency retrieved successfully", self.get_serializer(self.get_object()).data)


class DispatchView(StaffEmergencyActionView):
    serializer_class = input_serializer = DispatchSerializer
    done = "Engineer dispatched"

    @_action_schema(DispatchSerializer, "Dispatch an engineer (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_dispatch(acting_user=request.user, emergency=emergency, **data)


class ClassificationView(StaffEmergencyActionView):
    serializer_class = input_serializer = ClassificationSerializer
    done = "Classification overridden"

    @_action_schema(ClassificationSerializer, "Override the classification, with a reason (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_override_classification(acting_user=request.user, emergency=emergency, **data)


class StaffStepView(StaffEmergencyActionView):
    serializer_class = input_serializer = StepSerializer
    done = "Step recorded"

    @_action_schema(StepSerializer, "Record a response step on the engineer's behalf (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_record_step(acting_user=request.user, emergency=emergency, **data)


class StaffRecordView(StaffEmergencyActionView):
    serializer_class = input_serializer = RecordSerializer
    done = "Entry recorded"

    @_action_schema(RecordSerializer, "Record an action, advice or note (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_record(acting_user=request.user, emergency=emergency, **data)


class StaffIncidentView(StaffEmergencyActionView):
    serializer_class = input_serializer = IncidentSerializer
    done = "Incident recorded"

    @_action_schema(IncidentSerializer, "Record an incident: injury, fire, explosion, evacuation (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_record_incident(acting_user=request.user, emergency=emergency, **data)


class RegulatorNotifiedView(StaffEmergencyActionView):
    serializer_class = input_serializer = RegulatorNotifiedSerializer
    done = "Regulator notification recorded"

    @_action_schema(RegulatorNotifiedSerializer, "Record when the regulator was notified (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_record_regulator_notified(acting_user=request.user, emergency=emergency, **data)


class CorrectionView(StaffEmergencyActionView):
    serializer_class = input_serializer = CorrectionSerializer
    done = "Time corrected"

    @_action_schema(CorrectionSerializer, "Correct a wrong time: a new entry with a reason, never an edit (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        event = generics.get_object_or_404(EmergencyEvent, pk=data.pop("event"), emergency=emergency)
        return services.emergency_correct_time(acting_user=request.user, emergency=emergency, event=event, **data)


class ReviewView(StaffEmergencyActionView):
    serializer_class = input_serializer = ReviewSerializer
    done = "Review recorded"

    @_action_schema(ReviewSerializer, "Record the supervisor's review (supervisors)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_review(acting_user=request.user, emergency=emergency, **data)


class MissReasonView(StaffEmergencyActionView):
    serializer_class = input_serializer = MissReasonSerializer
    done = "Reason recorded"

    @_action_schema(MissReasonSerializer, "Record why the attendance or make-safe deadline was missed (staff)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_explain_miss(acting_user=request.user, emergency=emergency, **data)


class PhotoMixin:
    parser_classes = [MultiPartParser]
    serializer_class = input_serializer = PhotoUploadSerializer
    done = "Photos added"

    def act(self, request, emergency, data):
        return services.emergency_attach_photos(acting_user=request.user, emergency=emergency, **data)


_photo_schema = extend_schema(
    request={"multipart/form-data": PhotoUploadSerializer},
    responses={201: EmergencyEventSerializer},
    summary="Add photos (multipart `files`; internal by default)",
)


class StaffPhotoView(PhotoMixin, StaffEmergencyActionView):
    @_photo_schema
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)


# --- Engineers -------------------------------------------------------------------------


class EngineerEmergencyMixin:
    """Scope every lookup to the emergencies dispatched to the caller: anything else is a 404."""

    permission_classes = [IsEngineer]
    lookup_url_kwarg = "emergency_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Emergency.objects.none()
        return Emergency.objects.for_engineer(self.request.user).with_related()


class EngineerEmergencyListView(EngineerEmergencyMixin, generics.ListAPIView):
    """My emergencies: open ones first, by deadline; then the closed ones, newest first."""

    serializer_class = EmergencyRowSerializer
    list_message = "Your emergencies retrieved successfully"

    def get_queryset(self):
        return super().get_queryset().order_by(F("closed_at").desc(nulls_first=True), "deadline_at", "id")

    @extend_schema(summary="The emergencies dispatched to me (engineers)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EngineerEmergencyDetailView(EngineerEmergencyMixin, generics.GenericAPIView):
    serializer_class = EmergencyDetailSerializer

    @extend_schema(summary="One of my emergencies, with its record and the steps I may record next (engineers)")
    def get(self, request, emergency_id):
        return envelope("Emergency retrieved successfully", self.get_serializer(self.get_object()).data)


class EngineerActionView(EngineerEmergencyMixin, StaffEmergencyActionView):
    permission_classes = [IsEngineer]


class EngineerStepView(EngineerActionView):
    serializer_class = input_serializer = StepSerializer
    done = "Step recorded"

    @_action_schema(StepSerializer, "Record on my way, arrived, made safe, cleared or deferred (engineers)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_record_step(acting_user=request.user, emergency=emergency, **data)


class EngineerRecordView(EngineerActionView):
    serializer_class = input_serializer = RecordSerializer
    done = "Entry recorded"

    @_action_schema(RecordSerializer, "Record an action, advice or note (engineers)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_record(acting_user=request.user, emergency=emergency, **data)


class EngineerIncidentView(EngineerActionView):
    serializer_class = input_serializer = IncidentSerializer
    done = "Incident recorded"

    @_action_schema(IncidentSerializer, "Record an incident (engineers)")
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)

    def act(self, request, emergency, data):
        return services.emergency_record_incident(acting_user=request.user, emergency=emergency, **data)


class EngineerPhotoView(PhotoMixin, EngineerActionView):
    @_photo_schema
    def post(self, request, emergency_id):
        return super().post(request, emergency_id)


# --- Reports ---------------------------------------------------------------------------


def _period_parameters(kinds: tuple[str, ...]) -> list[OpenApiParameter]:
    descriptions = {
        "date": "A local day (YYYY-MM-DD).",
        "month": "A local calendar month (YYYY-MM).",
        "year": "A reporting year (YYYY), starting in EMERGENCY_REPORT_YEAR_START_MONTH.",
    }
    one_of = " Give exactly one of: " + ", ".join(kinds) + "." if len(kinds) > 1 else " Required."
    return [
        OpenApiParameter(
            kind,
            str,
            OpenApiParameter.QUERY,
            required=len(kinds) == 1,
            pattern=f"^{reports.PATTERNS[kind]}$",
            description=descriptions[kind] + one_of,
        )
        for kind in kinds
    ]


class ReportView(generics.GenericAPIView):
    """One report as JSON: parse the period, compute it (emergencies.reports), render it. Staff only."""

    permission_classes = [IsStaffMember]
    kinds: tuple[str, ...] = ()
    compute = None
    title = ""

    def get(self, request):
        period = reports.period_from_query(request.query_params, self.kinds)
        data = self.compute(period, now=timezone.now())
        return envelope(f"{self.title}: {period.label}", self.get_serializer(data).data)


class ReportCsvView(generics.GenericAPIView):
    """One table of a report as CSV (formula-safe; local times with their offset). Staff only."""

    permission_classes = [IsStaffMember]
    serializer_class = None
    kinds: tuple[str, ...] = ()
    compute = None
    table = ""

    def get(self, request):
        period = reports.period_from_query(request.query_params, self.kinds)
        data = self.compute(period, now=timezone.now())
        # The report is computed whole anyway: one response, no streaming.
        response = HttpResponse("".join(reports.csv_lines(self.table, data)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.table}-{period.key}.csv"'
        return response


def _report_schema(serializer, kinds, summary):
    return extend_schema(parameters=_period_parameters(kinds), responses={200: serializer}, summary=summary)


def _csv_schema(kinds, summary):
    return extend_schema(
        parameters=_period_parameters(kinds),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row")},
        summary=summary,
    )


class StandardOfServiceView(ReportView):
    serializer_class = StandardOfServiceSerializer
    kinds = ("month", "year")
    compute = staticmethod(reports.standard_of_service)
    title = "Standard of service"

    @_report_schema(
        StandardOfServiceSerializer, kinds, "Ofgem standard of service: attended within 1 h / 2 h, misses (staff)"
    )
    def get(self, request):
        return super().get(request)


class StandardOfServiceCsvView(ReportCsvView):
    kinds = ("month", "year")
    compute = staticmethod(reports.standard_of_service)
    table = "standard-of-service"

    @_csv_schema(kinds, "Standard of service as CSV: one row per month and class (staff)")
    def get(self, request):
        return super().get(request)


class StandardOfServiceMissesCsvView(StandardOfServiceCsvView):
    table = "standard-of-service-misses"

    @_csv_schema(StandardOfServiceCsvView.kinds, "The misses of the standard, with their reasons, as CSV (staff)")
    def get(self, request):
        return super().get(request)


class DailyLogView(ReportView):
    serializer_class = DailyLogSerializer
    kinds = ("date",)
    compute = staticmethod(reports.daily_log)
    title = "Daily log"

    @_report_schema(DailyLogSerializer, kinds, "Daily log of every emergency report received on a local day (staff)")
    def get(self, request):
        return super().get(request)


class DailyLogCsvView(ReportCsvView):
    kinds = ("date",)
    compute = staticmethod(reports.daily_log)
    table = "daily-log"

    @_csv_schema(kinds, "The daily log as CSV (staff)")
    def get(self, request):
        return super().get(request)


class MonthlySummaryView(ReportView):
    serializer_class = MonthlySummarySerializer
    kinds = ("month",)
    compute = staticmethod(reports.monthly_summary)
    title = "Monthly summary of response times"

    @_report_schema(MonthlySummarySerializer, kinds, "Response times by band and time of call, median, mean (staff)")
    def get(self, request):
        return super().get(request)


class MonthlySummaryCsvView(ReportCsvView):
    kinds = ("month",)
    compute = staticmethod(reports.monthly_summary)
    table = "monthly-summary"

    @_csv_schema(kinds, "The monthly summary of response times as CSV (staff)")
    def get(self, request):
        return super().get(request)


class ReviewAndMakeSafeView(ReportView):
    serializer_class = ReviewAndMakeSafeSerializer
    kinds = ("month", "date")
    compute = staticmethod(reports.review_and_make_safe)
    title = "Review and make-safe"

    @_report_schema(
        ReviewAndMakeSafeSerializer, kinds, "Records not reviewed by 10:00 next business day; not made safe in 12 h"
    )
    def get(self, request):
        return super().get(request)


class ReviewAndMakeSafeCsvView(ReportCsvView):
    kinds = ("month", "date")
    compute = staticmethod(reports.review_and_make_safe)
    table = "review-and-make-safe"

    @_csv_schema(kinds, "Late reviews and late make-safes as CSV (staff)")
    def get(self, request):
        return super().get(request)
