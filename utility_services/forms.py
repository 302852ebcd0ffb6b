"""Forms of the customer portal and the staff console. Saves go through `utility_services.services`."""

from django import forms
from django.conf import settings

from accounts.models import User

from .models import Priority, RequestType, ServiceRequest


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


class SubmitForm(forms.Form):
    details = forms.CharField(
        max_length=settings.SERVICE_REQUEST_DETAILS_MAX_LENGTH,
        widget=forms.Textarea,
        label="Describe the problem or request",
        help_text="Where is it, what do you see or smell, since when, and when can we reach you?",
    )
    files = MultipleFileField(label="Attach photos or documents")


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
        queryset=User.objects.filter(role__in=[User.Role.AGENT, User.Role.ADMIN], is_active=True).order_by("name"),
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
