"""JSON shapes of the accounts API: what comes in, what goes out."""

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictInputSerializer

from ..models import PriorityServicesCategory, PriorityServicesRegistration, User
from ..services import validate_new_password
from ..validators import PHONE_NUMBER_INPUT_PATTERN, normalize_phone_number, phone_number_validator


class UserSerializer(serializers.ModelSerializer):
    """An account as its owner and admins see it (never the password)."""

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "name",
            "phone_number",
            "address",
            "customer_id",
            "role",
            "is_active",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


@extend_schema_field({"type": "string", "maxLength": 32, "pattern": PHONE_NUMBER_INPUT_PATTERN})
class PhoneNumberField(serializers.CharField):
    """A phone number as people type it, stored as digits with an optional leading +."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        typed = super().to_internal_value(data)
        # DRF checks max_length after this method, on the normalised digits; the limit the schema
        # states is on what was typed (found by the outsider fuzz: 7 digits and 26 dots were taken).
        if len(typed) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        value = normalize_phone_number(typed)
        try:
            phone_number_validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class NewPasswordField(serializers.CharField):
    """A new password. Its minimum length is stated (in the schema too); the other rules (not too
    common, not all digits, not like the username) are Django's password validators."""

    def __init__(self, **kwargs):
        minimum = 8  # Django's MinimumLengthValidator, with its message
        super().__init__(
            write_only=True,
            min_length=minimum,
            max_length=128,
            trim_whitespace=False,
            error_messages={
                "min_length": f"This password is too short. It must contain at least {minimum} characters."
            },
            **kwargs,
        )


def _username_field(**kwargs):
    return serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()], **kwargs)


class ProfileFieldsSerializer(StrictInputSerializer):
    """Contact details every account has."""

    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    phone_number = PhoneNumberField()
    address = serializers.CharField(max_length=300)


class RegisterSerializer(ProfileFieldsSerializer):
    """Sign-up payload, exactly the original README's fields."""

    username = _username_field()
    password1 = NewPasswordField()
    password2 = NewPasswordField()

    def validate(self, attrs):
        try:
            validate_new_password(
                attrs["password1"],
                attrs["password2"],
                username=attrs["username"],
                email=attrs["email"],
                name=attrs["name"],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


class AdminUserCreateSerializer(RegisterSerializer):
    """An admin creating an account may also choose its role."""

    role = serializers.ChoiceField(choices=User.Role.choices, required=False)


class LoginSerializer(StrictInputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class AccountUpdateSerializer(ProfileFieldsSerializer):
    """The caller's own contact details; any subset may be sent.

    A new `email` needs `current_password`; it takes effect only when the link sent to it is opened.
    """

    current_password = serializers.CharField(
        write_only=True,
        required=False,
        max_length=128,
        trim_whitespace=False,
        help_text="Required to change `email`.",
    )

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class AdminUserUpdateSerializer(ProfileFieldsSerializer):
    """What an admin may change on any account; any subset may be sent."""

    username = _username_field()
    role = serializers.ChoiceField(choices=User.Role.choices)
    is_active = serializers.BooleanField()

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class LoginResultSerializer(serializers.Serializer):
    user = UserSerializer()
    csrf_token = serializers.CharField(
        help_text="Send this in the X-CSRFToken header (it is also in the csrftoken cookie)."
    )


class CsrfTokenSerializer(serializers.Serializer):
    csrf_token = serializers.CharField()


class PriorityServicesInputSerializer(StrictInputSerializer):
    """A Priority Services Register entry: why priority is needed, and the customer's consent."""

    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=PriorityServicesCategory.choices),
        min_length=1,
        max_length=len(PriorityServicesCategory.values),
        help_text="One or more of the register's categories.",
    )
    needs = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    consent = serializers.BooleanField(
        help_text="Must be true: the customer agrees to their details being held on the register."
    )


class PriorityServicesSerializer(serializers.ModelSerializer):
    """A register entry as the customer and staff see it."""

    category_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=PriorityServicesCategory.choices), read_only=True
    )

    class Meta:
        model = PriorityServicesRegistration
        fields = [
            "categories",
            "category_labels",
            "needs",
            "consent_given_at",
            "consent_source",
            "consent_recorded_by_name",
            "updated_at",
        ]
        read_only_fields = fields


class PriorityServicesStatusSerializer(serializers.Serializer):
    """Whether the account is on the register, and its entry (null when not)."""

    registered = serializers.BooleanField()
    entry = PriorityServicesSerializer(allow_null=True)
