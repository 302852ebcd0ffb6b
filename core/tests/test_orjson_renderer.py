"""The orjson renderer writes byte for byte what DRF's standard-library renderer writes."""

import datetime
import decimal
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from core.api.renderers import JSONRenderer
from utility_services.models import Priority, ServiceRequestStatus

UTC = datetime.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")

SAMPLES = {
    "envelope": {"message": "ok", "data": [{"id": 1, "ok": True, "none": None, "f": 51.5, "n": -3}], "pagination": {}},
    "utc datetime": {"at": datetime.datetime(2026, 11, 30, 16, 0, 1, 123456, tzinfo=UTC)},
    "whole-second datetime": {"at": datetime.datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC)},
    "london winter (offset 0)": {"at": datetime.datetime(2026, 1, 5, 9, 30, tzinfo=LONDON)},
    "london summer": {"at": datetime.datetime(2026, 7, 5, 9, 30, tzinfo=LONDON)},
    "naive datetime": {"at": datetime.datetime(2026, 7, 5, 9, 30)},
    "date": {"on": datetime.date(2026, 7, 5)},
    "uuid": {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "decimal": {"amount": decimal.Decimal("12.50")},
    "lazy text": {"message": gettext_lazy("Not found.")},
    "choices": {"status": ServiceRequestStatus.PENDING, "priority": Priority.HIGH},
    "int keys": {"counts": {1: "a", 2: "b"}},
    "tuple": {"pair": (1, "two")},
    "unicode": {"name": "Zoë Ødegård — 東京 🔥", "escapes": 'quote " backslash \\ tab \t nl \n ctrl \x01'},
    "separators": {"text": "line\u2028para\u2029end"},
    "big int": {"n": 2**70},
    "nested": {"a": [[{"b": [None, False]}]]},
}


@pytest.mark.parametrize("name", SAMPLES)
def test_same_bytes_as_drf(name):
    data = SAMPLES[name]
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)


def test_indent_asked_for_is_honoured():
    rendered = JSONRenderer().render({"a": 1}, "application/json; indent=4")
    assert rendered == DRFJSONRenderer().render({"a": 1}, "application/json; indent=4")


def test_lone_surrogates_are_replaced_not_raised():
    rendered = JSONRenderer().render({"error": "bad \ud800 key", "details": {"\udfff": ["x"]}})
    assert rendered == b'{"error":"bad ? key","details":{"?":["x"]}}'


def test_none_is_an_empty_body():
    assert JSONRenderer().render(None) == b""
