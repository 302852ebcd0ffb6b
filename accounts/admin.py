"""Django admin for accounts (admins only). Every change goes through `accounts.services`."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin import AuditTrailAdmin
from core.exceptions import ServiceError

from . import services
from .models import PriorityServicesRegistration, User, UserAuditEvent


class UserCreateForm(forms.ModelForm):
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password confirmation", widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ("username", "email", "name", "phone_number", "address", "role")

    def clean(self):
        cleaned = super().clean()
        try:
            services.validate_new_password(
                cleaned.get("password1") or "",
                cleaned.get("password2") or "",
                username=cleaned.get("username", ""),
                email=cleaned.get("email", ""),
                name=cleaned.get("name", ""),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        try:
            services.user_check_unique(username=cleaned.get("username"), email=cleaned.get("email"))
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("username", "email", "name", "phone_number", "address", "role", "is_active")

    def clean(self):
        cleaned = super().clean()
        acting_user = getattr(self, "acting_user", None)
        if acting_user is not None:
            # clean() runs before the form copies its values onto the instance: it is the stored account.
            changes = {field: cleaned[field] for field in ("role", "is_active", "email") if field in cleaned}
            try:
                services.validate_own_account_change(acting_user, self.instance, changes)
            except ServiceError as exc:
                for field, messages in exc.details.items():
                    self.add_error(field if field in self.fields else None, messages)
        try:
            services.user_check_unique(
                username=cleaned.get("username") if "username" in self.changed_data else None,
                email=cleaned.get("email") if "email" in self.changed_data else None,
                exclude=self.instance,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("username", "name", "email", "customer_id", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("username", "name", "email", "customer_id")
    ordering = ("-date_joined", "-id")
    readonly_fields = ("customer_id", "date_joined", "last_login", "priority_services_entry")
    actions = None  # bulk delete would bypass the one-at-a-time rules of user_delete

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = UserChangeForm if obj else UserCreateForm
        form = super().get_form(request, obj, **kwargs)
        form.acting_user = request.user
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("username", "email", "name", "phone_number", "address", "role", "password1", "password2")
        return (*UserChangeForm.Meta.fields, *self.readonly_fields)

    @admin.display(description="Priority Services Register")
    def priority_services_entry(self, user) -> str:
        """Read-only: the entry changes only with the customer's consent, through the API."""
        registration = PriorityServicesRegistration.objects.filter(user=user).first()
        if registration is None:
            return "Not registered"
        needs = f": {registration.needs}" if registration.needs else ""
        return (
            f"{', '.join(registration.category_labels)} ({', '.join(registration.categories)}){needs}; "
            f"consent {registration.consent_given_at:%Y-%m-%d} recorded by {registration.consent_recorded_by_name}"
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                acting_user=request.user,
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                name=data["name"],
                phone_number=data.get("phone_number", ""),
                address=data.get("address", ""),
                role=data["role"],
            )
            obj.pk, obj.customer_id = created.pk, created.customer_id
            return
        # The form has already copied its values onto `obj`; the service compares against the stored row.
        stored = User.objects.get(pk=obj.pk)
        services.user_update(
            acting_user=request.user, user=stored, **{field: data[field] for field in form.changed_data}
        )

    def delete_model(self, request, obj):
        services.user_delete(acting_user=request.user, user=obj)

    def has_delete_permission(self, request, obj=None):
        if not request.user.is_admin:
            return False
        # Accounts with request history are deactivated, never deleted.
        return obj is None or (obj.pk != request.user.pk and not obj.service_requests.exists())


@admin.register(UserAuditEvent)
class UserAuditEventAdmin(AuditTrailAdmin):
    """The audit trail of account changes, deleted accounts included. Read-only, for admins."""

    list_display = ("created_at", "actor_username", "action", "target_username", "changes")
    list_filter = ("action", "created_at")
    search_fields = ("actor_username", "target_username")
