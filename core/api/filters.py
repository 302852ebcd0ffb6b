"""Query-string filter pieces shared by the apps' APIs."""

import django_filters
from drf_spectacular.utils import extend_schema_field


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """A yes/no filter that refuses anything but true/false (django-filter's ignores junk silently)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("", "Any"), ("true", "Yes"), ("false", "No")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)
