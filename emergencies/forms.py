"""Forms of the emergency pages. They parse; `emergencies.services` decides and saves.

Each form gives the keyword arguments of the service its page calls, the same ones the API's
serializers give, so a report or a step is the same whichever door it came through.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from accounts.validators import normalize_phone_number, phone_number_validator
from utility_services.forms import MultipleFileField
from utility_services.models import RequestType

from . import services
from .models import Classification, EmergencyEvent

ANSWERS = {"yes": True, "no": False, "unknown": None}
YES_NO = [("yes", "Yes"), ("no", "No"), ("unknown", "I don't know")]
STEP_LABELS = {
    EmergencyEvent.Kind.EN_ROUTE: "On my way",
    EmergencyEvent.Kind.ARRIVED: "Arrived",
    EmergencyEvent.Kind.MADE_SAFE: "Made safe",
    EmergencyEvent.Kind.CLEARED: "Cleared",
    EmergencyEvent.Kind.DEFERRED: "Repair deferred",
}
LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"


def local_time_hint() -> str:
    return f"Local time ({timezone.get_current_timezone_name()})."


class LocalDateTimeField(forms.DateTimeField):
    """A date and time picked in the utility's time zone (a datetime-local input)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME_FORMAT))
        kwargs.setdefault("help_text", local_time_hint())
        super().__init__(**kwargs)


def _when(label: str = "When it happened", **kwargs) -> LocalDateTimeField:
    kwargs.setdefault("help_text", f"Leave empty for now. {local_time_hint()}")
    return LocalDateTimeField(required=kwargs.pop("required", False), label=label, **kwargs)


class AnswerField(forms.TypedChoiceField):
    """One of the emergency questions: yes, no, or not known (None, as the API's null)."""

    def __init__(self, label: str, choices=YES_NO, **kwargs):
        super().__init__(
            label=label,
            choices=choices,
            coerce=ANSWERS.__getitem__,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            **kwargs,
        )


class EmergencyTypeField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        queryset = RequestType.objects.filter(is_active=True, is_emergency=True).order_by("sort_order", "name")
        super().__init__(queryset=queryset, widget=forms.RadioSelect, empty_label=None, **kwargs)


class ReportForm(forms.Form):
    """The emergency report: a phone number, where, and the questions (the API's report, as a form)."""

    type_of_request = EmergencyTypeField(label="What is happening?")
    phone = forms.CharField(
        max_length=32,
        label="Your phone number",
        help_text="We may call you back to find the place or to check you are safe.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    name = forms.CharField(
        max_length=150, required=False, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    address = forms.CharField(
        max_length=300,
        required=False,
        label="Address or place",
        help_text="A street address, or the place (e.g. 'the bus stop on Mill Lane'). Or give your position below.",
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        max_length=16, required=False, label="Postcode", widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    latitude = forms.FloatField(
        min_value=-90, max_value=90, required=False, label="Latitude", widget=forms.NumberInput(attrs={"step": "any"})
    )
    longitude = forms.FloatField(
        min_value=-180,
        max_value=180,
        required=False,
        label="Longitude",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    location_details = forms.CharField(
        max_length=500,
        required=False,
        label="Where exactly?",
        help_text="For example: in the kitchen, by the meter box, outside number 12.",
    )
    inside = AnswerField(
        "Is the smell inside a building or outside?",
        choices=[("yes", "Inside a building"), ("no", "Outside"), ("unknown", "I don't know")],
    )
    gas_escaping = AnswerField("Can you still smell gas?")
    meter_off = AnswerField("Has the gas been turned off at the meter?")
    co_symptoms = AnswerField(
        "Does anyone have headaches, dizziness, sickness or breathlessness (signs of carbon monoxide)?"
    )
    vulnerable_present = AnswerField("Is anyone there elderly, disabled, ill, or a young child?")
    details = forms.CharField(
        max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH,
        required=False,
        label="Anything else we should know?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reporter: User | None = None, **kwargs):
        """`reporter`: a logged-in customer, whose phone and address prefill the form (and fill what is left out)."""
        self.reporter = reporter
        initial = kwargs.setdefault("initial", {})
        types = self.base_fields["type_of_request"].queryset
        initial.setdefault("type_of_request", types.first())
        if reporter is not None:
            initial.setdefault("phone", reporter.phone_number)
            initial.setdefault("name", reporter.name)
            initial.setdefault("address", reporter.address)
        super().__init__(*args, **kwargs)
        if reporter is not None:
            self.fields["phone"].required = False
            self.fields["phone"].help_text = "Leave empty to use the number on your account."

    def clean_phone(self):
        phone = normalize_phone_number(self.cleaned_data["phone"])
        if phone:
            phone_number_validator(phone)
        return phone

    def report_kwargs(self) -> dict:
        """The keyword arguments of `services.emergency_report` (as the API's `_report_kwargs`)."""
        data = self.cleaned_data
        address = data["address"].strip()
        return {
            "request_type": data["type_of_request"],
            "phone": data["phone"],
            "contact_name": data["name"],
            # A customer who clears the address and gives a position means "not my address".
            "address": address if address or data["latitude"] is not None else None,
            "postcode": data["postcode"],
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "location_details": data["location_details"],
            "details": data["details"],
            "answers": services.Answers(**{name: data[name] for name in services.Answers.__dataclass_fields__}),
        }


class PhonedReportForm(ReportForm):
    """A report a dispatcher takes on the phone: the caller's time of call, and their account if they have one."""

    received_at = LocalDateTimeField(label="Time of the call")
    customer = forms.CharField(
        max_length=32,
        required=False,
        label="Caller's customer id",
        help_text="If they have an account (GU-XXXX-XXXX): their phone and address then fill what you leave empty.",
    )

    field_order = ["received_at", "customer"]

    def __init__(self, *args, **kwargs):
        now = timezone.localtime().replace(second=0, microsecond=0)
        kwargs.setdefault("initial", {}).setdefault("received_at", now)
        super().__init__(*args, **kwargs)
        self.fields["phone"].label = "Caller's phone number"
        self.fields["phone"].required = False
        self.fields["phone"].help_text = "Required unless the caller's account has one."
        self.fields["name"].label = "Caller's name"
        self.fields["address"].help_text = "Required unless you give the position, or the caller's account has one."

    def clean_customer(self) -> User | None:
        customer_id = self.cleaned_data["customer"].strip().upper()
        if not customer_id:
            return None
        customer = User.objects.filter(customer_id=customer_id, role=User.Role.CUSTOMER, is_active=True).first()
        if customer is None:
            raise ValidationError("No active customer has this id.")
        return customer

    def report_kwargs(self) -> dict:
        kwargs = super().report_kwargs()
        if self.cleaned_data["customer"] is not None and not self.cleaned_data["address"].strip():
            kwargs["address"] = None  # the account's address
        return kwargs


# --- Dispatchers -----------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.name or user.username


class DispatchForm(forms.Form):
    engineer = PersonChoiceField(
        queryset=User.objects.filter(role=User.Role.ENGINEER, is_active=True).order_by("name", "id"),
        label="Engineer",
    )
    occurred_at = _when("Dispatched at")
    note = forms.CharField(max_length=2000, required=False, label="Note for the record")


class StepForm(forms.Form):
    """A response step; its choices are the steps the record allows now (`services.allowed_steps`)."""

    step = forms.ChoiceField(label="Step")
    occurred_at = _when()
    reason = forms.CharField(
        max_length=1000,
        required=False,
        label="Why is the repair deferred?",
        help_text="Needed for a deferred repair.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(max_length=2000, required=False, label="Note")

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(step, STEP_LABELS[step]) for step in allowed]


class DeferForm(forms.Form):
    """The engineer's "Repair deferred": made safe, the permanent repair later, and why."""

    reason = forms.CharField(
        max_length=1000, label="Why is the repair deferred?", widget=forms.Textarea(attrs={"rows": 3})
    )


class ClassificationForm(forms.Form):
    classification = forms.ChoiceField(choices=Classification.choices, widget=forms.RadioSelect, label="Classification")
    reason = forms.CharField(max_length=1000, label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class RecordForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (EmergencyEvent.Kind.NOTE, "Internal note"),
            (EmergencyEvent.Kind.ACTION, "Action taken"),
            (EmergencyEvent.Kind.ADVICE, "Advice given (the reporter sees it)"),
        ],
        initial=EmergencyEvent.Kind.NOTE,
        widget=forms.RadioSelect,
        label="What is it?",
    )
    body = forms.CharField(max_length=2000, label="What happened", widget=forms.Textarea(attrs={"rows": 3}))


class StaffRecordForm(RecordForm):
    occurred_at = _when()


class IncidentForm(forms.Form):
    injury = forms.BooleanField(required=False, label="Injury")
    fire = forms.BooleanField(required=False, label="Fire")
    explosion = forms.BooleanField(required=False, label="Explosion")
    evacuation = forms.BooleanField(required=False, label="Evacuation")
    description = forms.CharField(
        max_length=2000, required=False, label="Description", widget=forms.Textarea(attrs={"rows": 2})
    )
    occurred_at = _when()


class RegulatorForm(forms.Form):
    regulator = forms.CharField(
        max_length=100, label="Regulator", help_text="Who was told, e.g. HSE, Railroad Commission of Texas."
    )
    occurred_at = _when("When they were told")
    reference = forms.CharField(max_length=100, required=False, label="Their reference")
    note = forms.CharField(max_length=2000, required=False, label="Note")


class EventChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, event):
        when = timezone.localtime(services.effective_time_of(event))
        return f"{event.get_kind_display()}, {when:%d %b %H:%M}"


class CorrectionForm(forms.Form):
    event = EventChoiceField(queryset=EmergencyEvent.objects.none(), label="Entry whose time was wrong")
    occurred_at = LocalDateTimeField(label="The right time")
    reason = forms.CharField(max_length=1000, label="Reason", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, emergency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = EmergencyEvent.objects.filter(
            emergency=emergency, kind__in=list(EmergencyEvent.TIMED_KINDS)
        ).order_by("recorded_at", "id")


class ReviewForm(forms.Form):
    comment = forms.CharField(max_length=2000, label="Review comment", widget=forms.Textarea(attrs={"rows": 3}))


class PhotoForm(forms.Form):
    files = MultipleFileField(label="Choose photos", required=True)


class StaffPhotoForm(PhotoForm):
    is_internal = forms.BooleanField(
        required=False, initial=True, label="Internal: staff only (never shown to the reporter)"
    )
