"""Service-request API: customers submit and track; staff (agents and admins) work the queue.

Views are thin: a serializer parses the input, one service call does the work, and
the envelope carries the result. Customers reach requests only through
`ServiceRequest.objects.for_customer`, so anyone else's request is a 404.
"""

import logging

from django.conf import settings
from django.db.models import Prefetch
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated

from core.api.concurrency import expected_version
from core.api.idempotency import idempotent
from core.api.parsers import JSONParser, MultiPartParser
from core.api.permissions import IsStaffMember
from core.api.responses import envelope
from core.concurrency import etag_of
from core.exceptions import Conflict, NotFound

from .. import services
from ..emergency import safety_notice
from ..filters import CustomerRequestFilter, StaffRequestFilter
from ..models import Attachment, ExportJob, RequestEvent, RequestType, ServiceRequest
from ..reports import csv_rows, every_request_stats, request_stats
from .serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CommentSerializer,
    EventSerializer,
    ExportJobSerializer,
    NoteSerializer,
    ReasonSerializer,
    RequestTypeSerializer,
    ServiceRequestDetailSerializer,
    ServiceRequestSerializer,
    StaffAttachmentUploadSerializer,
    StaffEventSerializer,
    StaffServiceRequestDetailSerializer,
    StaffServiceRequestSerializer,
    StaffUpdateSerializer,
    SubmitSerializer,
    staff_rows,
    track_rows,
)

logger = logging.getLogger(__name__)
UPLOAD_PARSERS = [JSONParser, MultiPartParser]
# Staff ETags follow every change, internal ones included; the customer's follow what they can see.
STAFF_VERSION = "staff_updated_at"
FILE_RESPONSE = {
    (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file")
    for content_type in Attachment.ContentType.values
}


class PlainRowsListMixin:
    """A list whose rows are built as plain dicts by `rows` (the serializer still describes the schema)."""

    rows = None  # (requests) -> list[dict], exactly what serializer_class(many=True) writes

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(type(self).rows(page))


def _parse(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RequestTypeListView(generics.ListAPIView):
    """The catalogue customers choose `type_of_request` from (public: no login needed)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = RequestTypeSerializer
    pagination_class = None
    queryset = RequestType.objects.filter(is_active=True).prefetch_related("attributes").order_by("sort_order", "name")

    @extend_schema(summary="List request types")
    def get(self, request):
        data = self.get_serializer(self.get_queryset(), many=True).data
        return envelope("Request types retrieved successfully", data)


# --- Customers -----------------------------------------------------------------------


class SubmitView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "submit"
    parser_classes = UPLOAD_PARSERS
    serializer_class = SubmitSerializer

    @extend_schema(
        request={"application/json": SubmitSerializer, "multipart/form-data": SubmitSerializer},
        responses={201: ServiceRequestDetailSerializer},
        summary="Submit a service request (JSON, or multipart with files)",
    )
    @idempotent
    def post(self, request):
        data = _parse(SubmitSerializer, request)
        service_request = services.service_request_submit(
            customer=request.user,
            request_type=data["type_of_request"],
            details=data["details"],
            files=data.get("files", []),
            channel=ServiceRequest.Channel.API,
            address=data.get("address") or None,  # blank, as an empty form field sends it: the default
            postcode=data.get("postcode", ""),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            attributes=data.get("attributes"),
        )
        message = f"Service request {service_request.reference} submitted successfully"
        if service_request.is_emergency:
            notice = safety_notice()
            message = f"{notice['title']}. Your report {service_request.reference} has been recorded."
        return envelope(message, ServiceRequestDetailSerializer(service_request).data, status=status.HTTP_201_CREATED)


class CustomerRequestMixin:
    """Scope every lookup to the caller's own requests: anyone else's is a 404."""

    permission_classes = [IsAuthenticated]
    lookup_url_kwarg = "request_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ServiceRequest.objects.none()
        return ServiceRequest.objects.for_customer(self.request.user)

    def get_object(self):
        return services.access_service_request(
            self.request.user, self.kwargs["request_id"], queryset=self.get_queryset()
        )


class TrackListView(CustomerRequestMixin, PlainRowsListMixin, generics.ListAPIView):
    """The caller's own requests, newest first."""

    serializer_class = ServiceRequestSerializer
    rows = track_rows
    filterset_class = CustomerRequestFilter
    list_message = "Service requests retrieved successfully"

    @extend_schema(summary="Track my service requests")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TrackDetailView(CustomerRequestMixin, generics.GenericAPIView):
    serializer_class = ServiceRequestDetailSerializer

    def get_queryset(self):
        return super().get_queryset().with_public_timeline()

    @extend_schema(summary="Get one of my service requests, with its public timeline")
    def get(self, request, request_id):
        service_request = self.get_object()
        return envelope(
            "Service request retrieved successfully",
            self.get_serializer(service_request).data,
            headers={"ETag": etag_of(service_request)},
        )


class CustomerStatusActionView(CustomerRequestMixin, generics.GenericAPIView):
    """A customer's move of their own request (cancel, reopen), with an optional reason."""

    serializer_class = ReasonSerializer
    service = None  # the service function: (customer, service_request, reason) -> ServiceRequest
    done = ""  # past participle for the message

    def post(self, request, request_id):
        data = _parse(ReasonSerializer, request)
        service_request = type(self).service(
            customer=request.user, service_request=self.get_object(), reason=data["reason"]
        )
        return envelope(
            f"Service request {service_request.reference} {self.done}", ServiceRequestSerializer(service_request).data
        )


@extend_schema_view(
    post=extend_schema(request=ReasonSerializer, responses={200: ServiceRequestSerializer}, summary="Cancel my request")
)
class CancelView(CustomerStatusActionView):
    service = services.service_request_cancel
    done = "cancelled"


@extend_schema_view(
    post=extend_schema(
        request=ReasonSerializer,
        responses={200: ServiceRequestSerializer},
        summary="Reopen my resolved request (within the reopen window)",
    )
)
class ReopenView(CustomerStatusActionView):
    service = services.service_request_reopen
    done = "reopened"


class CommentView(CustomerRequestMixin, generics.GenericAPIView):
    serializer_class = CommentSerializer
    throttle_scope = "comment"  # each comment emails the assignee

    @extend_schema(request=CommentSerializer, responses={201: EventSerializer}, summary="Add information to my request")
    @idempotent
    def post(self, request, request_id):
        data = _parse(CommentSerializer, request)
        event = services.service_request_comment(
            customer=request.user, service_request=self.get_object(), body=data["body"]
        )
        return envelope("Comment added", EventSerializer(event).data, status=status.HTTP_201_CREATED)


class CustomerAttachmentView(CustomerRequestMixin, generics.GenericAPIView):
    parser_classes = [MultiPartParser]
    pagination_class = None  # answers the new files, not a page
    throttle_scope = "attachment"
    serializer_class = AttachmentUploadSerializer

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer(many=True)},
        summary="Attach files to my request",
    )
    def post(self, request, request_id):
        data = _parse(AttachmentUploadSerializer, request)
        attachments = services.service_request_attach(
            acting_user=request.user, service_request=self.get_object(), files=data["files"]
        )
        return envelope(
            "Files attached", AttachmentSerializer(attachments, many=True).data, status=status.HTTP_201_CREATED
        )


def _download(attachment: Attachment) -> FileResponse:
    try:
        opened = attachment.file.open("rb")
    except OSError:
        # The row outlived its file (storage lost or restored from an older backup): say so, no 500.
        logger.warning("Attachment %s has no file in storage (%s)", attachment.pk, attachment.file.name)
        raise NotFound("This file is no longer available.") from None
    response = FileResponse(
        opened,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


class CustomerAttachmentDownloadView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FILE_RESPONSE, summary="Download an attachment of my request")
    def get(self, request, request_id, attachment_id):
        return _download(services.access_attachment(request.user, request_id, attachment_id))


# --- Staff ---------------------------------------------------------------------------


class StaffQueueMixin:
    permission_classes = [IsStaffMember]
    filterset_class = StaffRequestFilter
    queryset = ServiceRequest.objects.for_staff()


class StaffRequestListView(StaffQueueMixin, PlainRowsListMixin, generics.ListAPIView):
    serializer_class = StaffServiceRequestSerializer
    rows = staff_rows
    list_message = "Service requests retrieved successfully"

    @extend_schema(summary="The staff queue: all service requests, emergencies first (staff)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _export_started(request, job: ExportJob):
    data = ExportJobSerializer(job).data
    location = reverse("api-admin-export-detail", kwargs={"export_id": job.pk})
    return envelope(
        "The export is being built; download it from download_url when its status is ready",
        data,
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": location},
    )


class StaffRequestExportView(StaffQueueMixin, generics.GenericAPIView):
    serializer_class = StaffServiceRequestSerializer

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, one row per request"),
            202: ExportJobSerializer,
        },
        summary="Export the filtered queue as CSV (staff); more than EXPORT_SYNC_MAX_ROWS rows start an export job",
    )
    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        limit = settings.EXPORT_SYNC_MAX_ROWS
        if queryset.order_by()[: limit + 1].count() > limit:
            # Too long to stream while the client waits: built by a task, downloaded when ready.
            job = services.export_job_start(acting_user=request.user, query=request.META.get("QUERY_STRING", ""))
            return _export_started(request, job)
        response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="service-requests-{timezone.now():%Y%m%d-%H%M}.csv"'
        return response


class ExportJobMixin:
    """Exports are seen by their requester, and by admins: an agent's export is a 404 to other agents."""

    permission_classes = [IsStaffMember]
    serializer_class = ExportJobSerializer
    lookup_url_kwarg = "export_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportJob.objects.none()
        jobs = ExportJob.objects.select_related("requested_by")
        return jobs if self.request.user.is_admin else jobs.filter(requested_by=self.request.user)


class StaffExportListView(ExportJobMixin, generics.ListAPIView):
    """Start an export of the filtered queue (POST, the queue's filters in the query string); list exports."""

    list_message = "Exports retrieved successfully"
    filter_backends = []  # the queue's filters describe a new export, not this list

    @extend_schema(summary="My CSV exports, newest first (admins: everyone's) (staff)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses={202: ExportJobSerializer},
        summary="Start a CSV export of the queue, filtered as GET /api/admin/requests/ (staff)",
    )
    def post(self, request):
        # Refuse bad filters now (400), not when the worker builds the file.
        filters = StaffRequestFilter(data=request.query_params, queryset=ServiceRequest.objects.none(), request=request)
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        job = services.export_job_start(acting_user=request.user, query=request.META.get("QUERY_STRING", ""))
        return _export_started(request, job)


class StaffExportDetailView(ExportJobMixin, generics.GenericAPIView):
    @extend_schema(summary="One CSV export: its status, and its download_url once ready (staff)")
    def get(self, request, export_id):
        return envelope("Export retrieved successfully", self.get_serializer(self.get_object()).data)


class StaffExportDownloadView(ExportJobMixin, generics.GenericAPIView):
    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file")},
        summary="Download a finished CSV export (staff: its requester, or an admin); 409 until it is ready",
    )
    def get(self, request, export_id):
        job = self.get_object()
        if job.status != ExportJob.Status.READY:
            raise Conflict(f"This export is {job.get_status_display().lower()}.", details={"status": job.status})
        response = FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=f"service-requests-{job.created_at:%Y%m%d-%H%M}.csv",
            content_type="text/csv; charset=utf-8",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class StaffStatsView(StaffQueueMixin, generics.GenericAPIView):
    serializer_class = StaffServiceRequestSerializer

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Queue statistics over the filtered requests, e.g. a submitted date range (staff)",
        description="With no filter, the statistics over every request are a snapshot taken every minute; "
        "`as_of` says when. With any filter they are computed now.",
    )
    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())  # a malformed filter is a 400, snapshot or not
        if self.filterset_class.narrows(request.query_params):
            return envelope("Statistics computed", request_stats(queryset))
        return envelope("Statistics computed", every_request_stats())


class StaffRequestMixin:
    permission_classes = [IsStaffMember]
    lookup_url_kwarg = "request_id"
    queryset = ServiceRequest.objects.for_staff()

    def get_object(self):
        return services.access_service_request(
            self.request.user, self.kwargs["request_id"], as_staff=True, queryset=self.get_queryset()
        )


class StaffRequestDetailView(StaffRequestMixin, generics.GenericAPIView):
    serializer_class = StaffServiceRequestDetailSerializer

    def get_queryset(self):
        events = RequestEvent.objects.order_by("created_at", "id")
        return super().get_queryset().prefetch_related(Prefetch("events", queryset=events), "attachments")

    def _render(self, message, service_request):
        etag = etag_of(service_request, STAFF_VERSION)
        return envelope(message, self.get_serializer(service_request).data, headers={"ETag": etag})

    @extend_schema(summary="Get a service request with its whole timeline (staff)")
    def get(self, request, request_id):
        return self._render("Service request retrieved successfully", self.get_object())

    @extend_schema(
        request=StaffUpdateSerializer,
        responses={200: StaffServiceRequestDetailSerializer},
        summary="Update a service request (staff): status, priority, assignee, details, resolution, type",
    )
    def put(self, request, request_id):
        # The service re-reads the row under a lock; no need to prefetch its timeline here.
        service_request = services.access_service_request(request.user, request_id, as_staff=True)
        changes = dict(_parse(StaffUpdateSerializer, request))
        if "type_of_request" in changes:
            changes["request_type"] = changes.pop("type_of_request")
        service_request = services.service_request_update(
            acting_user=request.user,
            service_request=service_request,
            expected_version=expected_version(request, service_request.pk),
            **changes,
        )
        return self._render("Service request updated successfully", self.get_queryset().get(pk=service_request.pk))

    @extend_schema(
        request=StaffUpdateSerializer,
        responses={200: StaffServiceRequestDetailSerializer},
        summary="Update a service request (staff)",
    )
    def patch(self, request, request_id):
        return self.put(request, request_id)

    @extend_schema(responses={200: None}, summary="Delete a service request; its timeline is kept (admins only)")
    def delete(self, request, request_id):
        service_request = self.get_object()
        if not request.user.is_admin:
            raise PermissionDenied("Only administrators can delete service requests.")
        services.service_request_delete(acting_user=request.user, service_request=service_request)
        return envelope("Service request deleted successfully")


class StaffNoteView(StaffRequestMixin, generics.GenericAPIView):
    serializer_class = NoteSerializer
    throttle_scope = "note"

    @extend_schema(
        request=NoteSerializer, responses={201: StaffEventSerializer}, summary="Add a public or internal note (staff)"
    )
    @idempotent
    def post(self, request, request_id):
        data = _parse(NoteSerializer, request)
        event = services.service_request_add_note(
            acting_user=request.user,
            service_request=self.get_object(),
            body=data["body"],
            is_internal=data["is_internal"],
        )
        message = "Internal note added" if event.is_internal else "Public note added and sent to the customer"
        return envelope(message, StaffEventSerializer(event).data, status=status.HTTP_201_CREATED)


class StaffAttachmentView(StaffRequestMixin, generics.GenericAPIView):
    parser_classes = [MultiPartParser]
    pagination_class = None  # answers the new files, not a page
    throttle_scope = "attachment"
    serializer_class = StaffAttachmentUploadSerializer

    @extend_schema(
        request={"multipart/form-data": StaffAttachmentUploadSerializer},
        responses={201: AttachmentSerializer(many=True)},
        summary="Attach files to a request (staff)",
    )
    def post(self, request, request_id):
        data = _parse(StaffAttachmentUploadSerializer, request)
        attachments = services.service_request_attach(
            acting_user=request.user,
            service_request=self.get_object(),
            files=data["files"],
            is_internal=data["is_internal"],
        )
        context = {"download_url_name": "api-admin-request-attachment"}
        return envelope(
            "Files attached",
            AttachmentSerializer(attachments, many=True, context=context).data,
            status=status.HTTP_201_CREATED,
        )


class StaffAttachmentDownloadView(generics.GenericAPIView):
    permission_classes = [IsStaffMember]

    @extend_schema(responses=FILE_RESPONSE, summary="Download an attachment (staff)")
    def get(self, request, request_id, attachment_id):
        return _download(services.access_attachment(request.user, request_id, attachment_id, as_staff=True))
