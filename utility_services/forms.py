"""Forms of the customer portal and the staff console. Saves go through `utility_services.services`."""

from django import forms
from django.conf import settings

from accounts.models import User

from .attributes import questions_of
from .models import AttributeDatatype, Priority, RequestAttribute, RequestType, ServiceRequest


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; type, size and count are checked by the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            f"Photos or documents: JPEG, PNG or PDF, up to {settings.ATTACHMENT_MAX_PER_REQUEST} files "
            f"of {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB each.",
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ChooseTypeForm(forms.Form):
    request_type = forms.ModelChoiceField(
        queryset=RequestType.objects.filter(is_active=True).order_by("sort_order", "name"),
        widget=forms.RadioSelect,
        label="What do you need help with?",
        empty_label=None,
    )


ATTRIBUTE_PREFIX = "attribute_"


def question_field(question: RequestAttribute, *, required: bool) -> forms.Field:
    """The form field for one of a type's questions; its answer is checked by `attributes.clean_answers`."""
    common = {"label": question.description, "help_text": question.datatype_description, "required": required}
    datatype = question.datatype
    if datatype == AttributeDatatype.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if datatype == AttributeDatatype.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if datatype == AttributeDatatype.DATETIME:
        return forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common)
    choices = [(value["key"], value["name"]) for value in question.values]
    if datatype == AttributeDatatype.SINGLEVALUELIST:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if datatype == AttributeDatatype.MULTIVALUELIST:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(**common)


class SubmitForm(forms.Form):
    """Step 2 of submitting: the type's questions, a description, where, and files."""

    details = forms.CharField(
        max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH,
        widget=forms.Textarea,
        label="Describe the problem or request",
        help_text="What do you see or smell, since when, and when can we reach you?",
    )
    address = forms.CharField(
        max_length=300,
        required=False,
        label="Where is it?",
        help_text="Your address is filled in: change it if the problem is somewhere else.",
    )
    postcode = forms.CharField(max_length=16, required=False, label="Postcode")
    latitude = forms.FloatField(
        min_value=-90, max_value=90, required=False, label="Latitude", help_text="If you know it, e.g. 53.7965."
    )
    longitude = forms.FloatField(
        min_value=-180, max_value=180, required=False, label="Longitude", help_text="If you know it, e.g. -1.5366."
    )
    files = MultipleFileField(label="Attach photos or documents")

    def __init__(self, *args, request_type: RequestType, **kwargs):
        super().__init__(*args, **kwargs)
        questions = questions_of(request_type)
        # Information that is not a question is shown above the form, not asked.
        self.information = [question for question in questions if not question.variable]
        self.questions = [question for question in questions if question.variable]
        for question in self.questions:
            # Emergencies are never refused for a missing answer (the service agrees).
            required = question.required and not request_type.is_emergency
            self.fields[ATTRIBUTE_PREFIX + question.code] = question_field(question, required=required)
        self.order_fields([ATTRIBUTE_PREFIX + question.code for question in self.questions])

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            missing = "longitude" if cleaned.get("longitude") is None else "latitude"
            if missing not in self.errors:
                self.add_error(missing, "Give both latitude and longitude, or neither.")
        return cleaned

    def answers(self) -> dict:
        """The answers given, {code: answer}, for the service to check."""
        return {
            question.code: self.cleaned_data.get(ATTRIBUTE_PREFIX + question.code)
            for question in self.questions
            if self.cleaned_data.get(ATTRIBUTE_PREFIX + question.code) not in (None, "", [])
        }

    def add_answer_errors(self, errors: dict[str, list[str]]) -> None:
        """Show the service's verdict on each answer next to its question."""
        for code, messages in errors.items():
            name = ATTRIBUTE_PREFIX + code
            self.add_error(name if name in self.fields else None, messages)


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Add information",
    )


class AttachmentForm(forms.Form):
    files = MultipleFileField(label="Attach files", required=True)


class StaffAttachmentForm(AttachmentForm):
    is_internal = forms.BooleanField(required=False, label="Internal: staff only (never shown to the customer)")


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000, required=False, label="Reason", widget=forms.TextInput)


class StaffMemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.name or user.username


class StaffUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=ServiceRequest.Status.choices)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    assignee = StaffMemberChoiceField(
        queryset=User.objects.assignable().order_by("name"),
        required=False,
        empty_label="Unassigned",
    )
    resolution_details = forms.CharField(
        max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to the customer.",
    )
    # The version the agent saw: saving a stale form is refused instead of undoing others' changes.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), label="Note"
    )
    visibility = forms.ChoiceField(
        choices=[("internal", "Internal: staff only"), ("public", "Public: shown and emailed to the customer")],
        initial="internal",
        widget=forms.RadioSelect,
        label="Who can see it",
    )
