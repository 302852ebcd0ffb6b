"""core.api.filters.FilterBackend skips a FilterSet when no parameter names one of its filters.

That is the same as running it only while no filter has a default, is required, or reads
parameters under other names (a range's `_after`/`_min`): this test keeps it so for every
FilterSet the API uses.
"""

import django_filters
import pytest
from django.urls import get_resolver

from core.api.filters import FilterBackend


def _filtersets():
    found = set()
    for pattern in get_resolver().url_patterns:
        stack = [pattern]
        while stack:
            item = stack.pop()
            stack.extend(getattr(item, "url_patterns", []))
            view = getattr(getattr(item, "callback", None), "cls", None)
            if view is not None and getattr(view, "filterset_class", None) is not None:
                found.add(view.filterset_class)
    return sorted(found, key=lambda cls: cls.__name__)


def test_the_api_uses_the_skipping_backend_and_has_filtersets(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"] == ["core.api.filters.FilterBackend"]
    assert len(_filtersets()) >= 3


@pytest.mark.parametrize("filterset", _filtersets(), ids=lambda cls: cls.__name__)
def test_no_filter_applies_without_its_own_parameter(filterset):
    assert issubclass(FilterBackend, django_filters.rest_framework.DjangoFilterBackend)
    for name, field in filterset.base_filters.items():
        assert not isinstance(field, django_filters.RangeFilter | django_filters.DateFromToRangeFilter), name
        assert not field.extra.get("required"), name
        assert field.extra.get("initial") is None, name
        widget = getattr(field.field_class, "widget", None)
        assert not isinstance(widget, type) or not issubclass(widget, django_filters.widgets.SuffixedMultiWidget), name
