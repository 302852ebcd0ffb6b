"""Query-string filter pieces shared by the apps' APIs."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, without building the filter form when the query string names no filter.

    Building a FilterSet and validating its form is about a tenth of a list request (profiled on
    the customer's list); with none of its parameters given it would filter nothing, as none of
    our filters is required or has a default. Any of them given, even empty, goes through the
    form as before (a malformed value is still a 400).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """A yes/no filter that refuses anything but true/false (django-filter's ignores junk silently)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("", "Any"), ("true", "Yes"), ("false", "No")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)
