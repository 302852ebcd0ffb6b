"""JSON shapes of the service-request API."""

from django.conf import settings
from rest_framework import serializers

from accounts.models import User
from core.serializers import StrictInputSerializer

from ..models import RequestType, ServiceRequest


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


def _details_field(**kwargs):
    return serializers.CharField(max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH, **kwargs)


class SubmitSerializer(StrictInputSerializer):
    type_of_request = RequestTypeField()
    details = _details_field()


class StaffUpdateSerializer(StrictInputSerializer):
    """What staff may change; any subset may be sent."""

    status = serializers.ChoiceField(choices=ServiceRequest.Status.choices, required=False)
    details = _details_field(required=False)
    resolution_details = _details_field(required=False, allow_blank=True)
    type_of_request = RequestTypeField(required=False)


class ServiceRequestSerializer(serializers.ModelSerializer):
    """A request as its customer sees it."""

    type_of_request = serializers.CharField(source="request_type.name", read_only=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "type_of_request",
            "details",
            "status",
            "submitted_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "resolution_details",
        ]
        read_only_fields = fields


class CustomerSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "customer_id", "username", "name", "email", "phone_number"]
        read_only_fields = fields


class StaffServiceRequestSerializer(ServiceRequestSerializer):
    """A request as staff see it: with its customer."""

    customer = CustomerSummarySerializer(read_only=True)

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "customer"]
        read_only_fields = fields


class RequestTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestType
        fields = ["name", "description", "is_emergency", "target_resolution_hours"]
        read_only_fields = fields
