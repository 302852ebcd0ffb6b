"""Forms of the account pages (register, profile). Their saves go through `accounts.services`."""

from django import forms
from django.core.exceptions import ValidationError

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
