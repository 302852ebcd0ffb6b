"""Query-string filters and orderings of the service-request lists: the API, the pages and the exports share them."""

import re

import django_filters
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from core.api.filters import StrictBooleanFilter

from .models import OPEN_STATUSES, Priority, RequestType, ServiceRequest
from .search import search_requests

# RFC 3339, as OpenAPI's `date-time` format means it: a date, a time and an offset.
RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


class SafeDateTimeField(django_filters.fields.IsoDateTimeField):
    """An RFC 3339 date-time between the years 1900 and 9000 (the extremes overflow on conversion to UTC)."""

    def clean(self, value):
        if value not in self.empty_values and not RFC3339.match(str(value)):
            raise ValidationError("Use an RFC 3339 date-time, e.g. 2026-01-31T00:00:00Z.")
        value = super().clean(value)
        if value is not None and not (1900 <= value.year <= 9000):
            raise ValidationError("Use a date between the years 1900 and 9000.")
        return value


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": "^(19[0-9]{2}|[2-8][0-9]{3}|9000)-",
        "example": "2026-01-31T00:00:00Z",
    }
)
class SafeDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time filter; the schema states the year range."""

    field_class = SafeDateTimeField


ASSIGNEE = r"^(me|none|[0-9]{1,18})$"
CUSTOMER = r"^([0-9]{1,18}|[A-Za-z0-9-]{1,16})$"


class _UntrimmedCharFilter(django_filters.CharFilter):
    """A text filter checked as sent: Django's CharField trims whitespace, control characters such
    as U+001F included, which turned a malformed value into no filter at all (found by the fuzz)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "pattern": ASSIGNEE})
class AssigneeFilter(_UntrimmedCharFilter):
    """A staff user id, "me" or "none"; the schema states the pattern the validator checks."""


@extend_schema_field({"type": "string", "pattern": CUSTOMER})
class CustomerFilter(_UntrimmedCharFilter):
    """A user id or a customer id; the schema states the pattern the validator checks."""


class CustomerRequestFilter(django_filters.FilterSet):
    # distinct=False: these filter the request's own columns, so no row can repeat.
    status = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=ServiceRequest.Status.choices,
        label="Status",
        help_text="Repeat to match several: ?status=Pending&status=On Hold",
    )
    # Choices are checked in Python, exactly: MySQL's collation would match "gas leak" too.
    type_of_request = django_filters.ChoiceFilter(
        field_name="request_type__name",
        label="Type",
        choices=lambda: [(name, name) for name in RequestType.objects.values_list("name", flat=True)],
    )

    class Meta:
        model = ServiceRequest
        fields = ["status", "type_of_request"]


class QueueOrderingFilter(django_filters.OrderingFilter):
    """Orderings staff may pick; ties are broken by id so pages never overlap."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        tiebreak = "-id" if ordering[-1].startswith("-") else "id"
        return qs.order_by(*ordering, tiebreak)


class StaffRequestFilter(CustomerRequestFilter):
    priority = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=[(label, label) for label in Priority.labels],
        method="filter_priority",
        label="Priority",
    )
    assignee = AssigneeFilter(
        method="filter_assignee",
        validators=[RegexValidator(ASSIGNEE, 'Use a staff user id, "me" or "none".')],
        label="Assignee",
        help_text='A staff user id, "me" or "none" (unassigned).',
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue", label="Overdue", help_text="true: open requests past their due time."
    )
    customer = CustomerFilter(
        validators=[RegexValidator(CUSTOMER, "Use a user id or a customer id (GU-...).")],
        method="filter_customer",
        label="Customer",
        help_text="A user id or a customer id (GU-...).",
    )
    submitted_after = SafeDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = SafeDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        label="Search",
        help_text=(
            "Words (or their beginnings) of the reference, details, or the customer's name, email, "
            "username or customer id; every word must match."
        ),
    )
    ordering = QueueOrderingFilter(
        fields=["priority", "due_at", "submitted_at", "updated_at"],
        label="Sort by",
        help_text="Default: open emergencies, then overdue, then other open requests, settled ones last; "
        "within each, highest priority first, then newest first.",
    )

    @classmethod
    def narrows(cls, params) -> bool:
        """Whether these query parameters leave out any request (an ordering alone does not)."""
        return any(value for name in cls.base_filters if name != "ordering" for value in params.getlist(name))

    def filter_priority(self, queryset, name, labels):
        return queryset.filter(priority__in=[Priority.values[Priority.labels.index(label)] for label in labels])

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.overdue(now)
        return queryset.exclude(status__in=OPEN_STATUSES, due_at__lt=now)

    def filter_customer(self, queryset, name, value):
        if value.isdigit():
            return queryset.filter(customer_id=int(value))
        return queryset.filter(customer__customer_id__iexact=value)

    def filter_search(self, queryset, name, value):
        return search_requests(queryset, value)
