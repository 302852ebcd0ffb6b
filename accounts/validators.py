"""Validation of account data shared by the API, the forms and the admin."""

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

_PHONE_SEPARATORS = re.compile(r"[\s().-]")

phone_number_validator = RegexValidator(
    regex=r"^\+?[0-9]{7,15}$",
    message="Enter a phone number of 7 to 15 digits, optionally starting with +.",
)


# What the API accepts as typed: 7 to 15 digits, an optional leading +, and the separators
# people type (spaces, dots, dashes, brackets) anywhere. The OpenAPI schema publishes it.
PHONE_NUMBER_INPUT_PATTERN = r"^[\s().-]*\+?(?:[\s().-]*[0-9]){7,15}[\s().-]*$"


def normalize_phone_number(value: str) -> str:
    """Drop the spaces, dots, dashes and brackets people type: '+44 (20) 7946-0958' -> '+442079460958'."""
    return _PHONE_SEPARATORS.sub("", value or "")


class ClearCommonPasswordValidator(CommonPasswordValidator):
    """Django's common-password check, with a message that says what to do instead.

    The original README's example password, ``password123``, is on this list:
    it is refused on purpose.
    """

    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError(
                "This password is too common: it appears in lists of leaked passwords "
                "(the original README's example 'password123' is one). Choose a longer, "
                "less predictable password.",
                code="password_too_common",
            ) from None
