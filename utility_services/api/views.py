"""Service-request API: customers submit and track; staff (agents and admins) work the queue."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated

from core.permissions import IsStaffMember
from core.responses import envelope

from .. import services
from ..models import RequestType, ServiceRequest
from .filters import CustomerRequestFilter, StaffRequestFilter
from .serializers import (
    RequestTypeSerializer,
    ServiceRequestSerializer,
    StaffServiceRequestSerializer,
    StaffUpdateSerializer,
    SubmitSerializer,
)


class RequestTypeListView(generics.ListAPIView):
    """The catalogue customers choose `type_of_request` from (public: no login needed)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = RequestTypeSerializer
    pagination_class = None
    queryset = RequestType.objects.filter(is_active=True).order_by("sort_order", "name")

    @extend_schema(summary="List request types")
    def get(self, request):
        return envelope(
            "Request types retrieved successfully", self.get_serializer(self.get_queryset(), many=True).data
        )


class SubmitView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = SubmitSerializer

    @extend_schema(
        request=SubmitSerializer, responses={201: ServiceRequestSerializer}, summary="Submit a service request"
    )
    def post(self, request):
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_request = services.service_request_submit(
            customer=request.user,
            request_type=serializer.validated_data["type_of_request"],
            details=serializer.validated_data["details"],
        )
        return envelope(
            "Service request submitted successfully",
            ServiceRequestSerializer(service_request).data,
            status=status.HTTP_201_CREATED,
        )


class TrackListView(generics.ListAPIView):
    """The caller's own requests, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = ServiceRequestSerializer
    filterset_class = CustomerRequestFilter
    list_message = "Service requests retrieved successfully"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ServiceRequest.objects.none()
        return ServiceRequest.objects.for_customer(self.request.user)

    @extend_schema(summary="Track my service requests")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TrackDetailView(generics.RetrieveAPIView):
    """One of the caller's requests; anyone else's is a 404."""

    permission_classes = [IsAuthenticated]
    serializer_class = ServiceRequestSerializer
    lookup_url_kwarg = "request_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ServiceRequest.objects.none()
        return ServiceRequest.objects.for_customer(self.request.user)

    @extend_schema(summary="Get one of my service requests")
    def get(self, request, request_id):
        return envelope("Service request retrieved successfully", self.get_serializer(self.get_object()).data)


class AdminRequestListView(generics.ListAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = StaffServiceRequestSerializer
    filterset_class = StaffRequestFilter
    queryset = ServiceRequest.objects.for_staff()
    list_message = "Service requests retrieved successfully"

    @extend_schema(summary="List all service requests (staff)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AdminRequestDetailView(generics.GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = StaffServiceRequestSerializer
    queryset = ServiceRequest.objects.for_staff()
    lookup_url_kwarg = "request_id"

    @extend_schema(responses={200: StaffServiceRequestSerializer}, summary="Get a service request (staff)")
    def get(self, request, request_id):
        return envelope("Service request retrieved successfully", self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=StaffUpdateSerializer,
        responses={200: StaffServiceRequestSerializer},
        summary="Update a service request (staff): status, details, resolution details, type",
    )
    def put(self, request, request_id):
        service_request = self.get_object()
        serializer = StaffUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "type_of_request" in changes:
            changes["request_type"] = changes.pop("type_of_request")
        service_request = services.service_request_update(
            acting_user=request.user, service_request=service_request, **changes
        )
        return envelope("Service request updated successfully", self.get_serializer(service_request).data)

    @extend_schema(
        request=StaffUpdateSerializer,
        responses={200: StaffServiceRequestSerializer},
        summary="Update a service request (staff)",
    )
    def patch(self, request, request_id):
        return self.put(request, request_id)

    @extend_schema(responses={200: None}, summary="Delete a service request (staff)")
    def delete(self, request, request_id):
        services.service_request_delete(acting_user=request.user, service_request=self.get_object())
        return envelope("Service request deleted successfully")
