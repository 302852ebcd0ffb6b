"""Query-string filters of the service-request lists."""

import django_filters
from django.db.models import Q

from ..models import RequestType, ServiceRequest


class CustomerRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ServiceRequest.Status.choices)
    # Choices are checked in Python, exactly: MySQL's collation would match "gas leak" too.
    type_of_request = django_filters.ChoiceFilter(
        field_name="request_type__name",
        choices=lambda: [(name, name) for name in RequestType.objects.values_list("name", flat=True)],
    )

    class Meta:
        model = ServiceRequest
        fields = ["status", "type_of_request"]


class StaffRequestFilter(CustomerRequestFilter):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Details, or the customer's name, email, username or customer id, contains this.",
    )

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(details__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(customer__email__icontains=value)
            | Q(customer__username__icontains=value)
            | Q(customer__customer_id__icontains=value)
        )
