"""Forms of the account pages (register, profile, Priority Services Register).

Their saves go through `accounts.services`.
"""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from jobs.outbox import queue_email

from .models import PriorityServicesCategory
from .services import validate_new_password


class ContactDetailsForm(forms.Form):
    name = forms.CharField(max_length=150, label="Full name", widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone_number = forms.CharField(
        max_length=32,
        label="Phone number",
        help_text="So an engineer can reach you. Digits, with an optional leading +.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        max_length=300,
        label="Address of the property",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )


class ProfileForm(ContactDetailsForm):
    current_password = forms.CharField(
        label="Current password",
        required=False,
        strip=False,
        help_text="Needed only to change your email address: we then send a link to the new one to confirm it.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RegistrationForm(ContactDetailsForm):
    username = forms.CharField(
        max_length=150,
        label="Username",
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common password, not all digits.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["username", "name", "email", "phone_number", "address", "password1", "password2"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1"):
            try:
                validate_new_password(
                    cleaned["password1"],
                    # Without a second entry ("required" is said there), still check the first one.
                    cleaned.get("password2") or cleaned["password1"],
                    username=cleaned.get("username", ""),
                    email=cleaned.get("email", ""),
                    name=cleaned.get("name", ""),
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


class PriorityServicesForm(forms.Form):
    categories = forms.MultipleChoiceField(
        choices=PriorityServicesCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Why do you need priority help?",
    )
    needs = forms.CharField(
        max_length=500,
        required=False,
        label="What help do you need?",
        help_text="In your words, e.g. 'I use oxygen at night' or 'I cannot hear the doorbell'.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(
        label="I agree that the gas utility keeps these details on its Priority Services Register "
        "and shows them to its dispatchers and engineers in an emergency.",
        error_messages={"required": "We need your consent to keep these details."},
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset-by-email, its email sent through the outbox like every other email."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        queue_email(
            subject=render_to_string(subject_template_name, context),
            body=render_to_string(email_template_name, context),
            to=[to_email],
        )
