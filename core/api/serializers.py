"""Serializer pieces shared by every app's API."""

from collections.abc import Mapping

from django.http import QueryDict
from rest_framework import serializers

# JSON values each kind of field takes: DRF would also turn 0 into "0", "true" into True, "1.5" into 1.5.
_JSON_TYPES = (
    (serializers.BooleanField, (bool,), "Must be true or false."),
    (serializers.CharField, (str,), "Must be a string."),
    (serializers.ChoiceField, (str,), "Must be a string."),
    (serializers.FloatField, (int, float), "Must be a number."),
    (serializers.IntegerField, (int,), "Must be a whole number."),
    (serializers.ListField, (list,), "Must be a list."),
)


# A form (multipart or urlencoded) carries every value as text; a boolean is spelt as the schema
# documents it. DRF would also take "0", "1", "yes", "on", ... which a schema-driven client cannot foresee.
_FORM_BOOLEANS = {"true", "false"}


def _form_type_errors(fields, data: QueryDict) -> dict:
    errors = {}
    for name, field in fields.items():
        if name not in data or field.read_only or not isinstance(field, serializers.BooleanField):
            continue
        if any(str(value).lower() not in _FORM_BOOLEANS for value in data.getlist(name)):
            errors[name] = ["Must be true or false."]
    return errors


def _json_type_errors(fields, data: dict) -> dict:
    errors = {}
    for name, field in fields.items():
        value = data.get(name)
        if name not in data or field.read_only or (value is None and field.allow_null):
            continue
        for field_class, types, message in _JSON_TYPES:
            if isinstance(field, field_class):
                if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                    errors[name] = [message]
                break
    return errors


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not accept, naming each one.

    Silently ignoring ``{"status": "Resolved"}`` from a customer would let them
    believe it worked; a 400 that names the field tells them it did not.
    """

    def to_internal_value(self, data):
        errors = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            errors = {str(key): ["This field cannot be set here."] for key in data if key not in writable}
        if isinstance(data, dict) and not isinstance(data, QueryDict):  # JSON: a form sends every value as text
            errors.update(_json_type_errors(self.fields, data))
        elif isinstance(data, QueryDict):
            errors.update(_form_type_errors(self.fields, data))
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value
