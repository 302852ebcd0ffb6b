"""Django admin for service requests (agents and admins), their timeline, and the request-type catalogue.

Changes go through `utility_services.services`, so the workflow rules, the timeline
and the notifications are the API's.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from core.admin import AuditTrailAdmin
from core.concurrency import version_of
from core.exceptions import Conflict
from emergencies.models import Emergency

from . import services, workflow
from .models import Attachment, RequestAttribute, RequestEvent, RequestType, ServiceRequest


class ChoicesField(forms.CharField):
    """A list question's choices, one per line as `key | name`, stored as [{"key", "name"}]."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{choice.get('key', '')} | {choice.get('name', '')}" for choice in value)
        return value

    def to_python(self, value):
        choices = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            key, separator, name = line.partition("|")
            if not separator or not key.strip() or not name.strip():
                raise forms.ValidationError(f"Line {number}: write each choice as `key | name`.")
            choices.append({"key": key.strip(), "name": name.strip()})
        return choices


class RequestAttributeForm(forms.ModelForm):
    values = ChoicesField(
        required=False,
        label="Choices",
        help_text="For list questions: one choice per line, `key | name` (e.g. `yes | Yes`).",
    )

    class Meta:
        model = RequestAttribute
        fields = ("order", "code", "description", "datatype", "required", "variable", "datatype_description", "values")


class RequestAttributeInline(admin.StackedInline):
    """The questions a type asks (Open311 attributes), edited with the type by admins."""

    model = RequestAttribute
    form = RequestAttributeForm
    extra = 0
    ordering = ("order", "id")

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    def has_add_permission(self, request, obj=None):
        return request.user.is_admin

    def has_change_permission(self, request, obj=None):
        return request.user.is_admin

    def has_delete_permission(self, request, obj=None):
        return request.user.is_admin


class StaffOnlyAdmin(admin.ModelAdmin):
    """Open to agents and admins by role (they have no per-model Django permissions)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(RequestType)
class RequestTypeAdmin(StaffOnlyAdmin):
    list_display = ("name", "code", "group", "is_emergency", "target_resolution_hours", "is_active", "sort_order")
    list_filter = ("is_emergency", "is_active", "group")
    list_editable = ("is_active", "sort_order")
    search_fields = ("name", "code", "description", "keywords")
    prepopulated_fields = {"code": ("name",)}
    readonly_fields = ("updated_at",)
    inlines = (RequestAttributeInline,)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A change to the questions alone is a change to the service definition (Open311's changeset).
        if any(formset.has_changed() for formset in formsets):
            form.instance.save(update_fields=["updated_at"])

    # Agents read the catalogue; only admins change it.
    def has_change_permission(self, request, obj=None):
        return request.user.is_admin

    def has_add_permission(self, request):
        return request.user.is_admin

    def has_delete_permission(self, request, obj=None):
        # Types in use are protected by the database; retire them with is_active instead.
        return request.user.is_admin


class ServiceRequestForm(forms.ModelForm):
    # The version the agent saw: a stale form is refused instead of undoing others' changes.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ServiceRequest
        fields = ("request_type", "status", "priority", "assignee", "details", "resolution_details")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = version_of(self.instance, "staff_updated_at")
        # Offer who may be assigned; keep the current assignee choosable even if they no longer may be.
        assignable = User.objects.assignable()
        if self.instance.assignee_id:
            assignable = assignable | User.objects.filter(pk=self.instance.assignee_id)
        self.fields["assignee"].queryset = assignable

    def clean_version(self):
        version = self.cleaned_data["version"]
        if version is not None and self.instance.pk and version != version_of(self.instance, "staff_updated_at"):
            raise forms.ValidationError(
                "Someone else changed this request while you were editing it. Reload the page and repeat your change."
            )
        return version

    def clean_status(self):
        new_status = self.cleaned_data["status"]
        if new_status != self.instance.status:
            try:
                workflow.check_transition(self.instance.status, new_status)
            except Conflict as exc:
                raise forms.ValidationError(exc.message) from None
        return new_status

    def clean_assignee(self):
        assignee = self.cleaned_data["assignee"]
        if "assignee" in self.changed_data:
            try:
                services.validate_assignee(assignee)
            except ValidationError as exc:
                raise forms.ValidationError(exc.message_dict["assignee"]) from None
        return assignee


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ("created_at", "kind", "actor_name", "is_internal", "field", "old_value", "new_value", "body")
    readonly_fields = fields
    ordering = ("created_at", "id")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("download", "content_type", "size", "is_internal", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    @admin.display(description="File")
    def download(self, attachment):
        url = reverse("api-admin-request-attachment", args=[attachment.service_request_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(StaffOnlyAdmin):
    form = ServiceRequestForm
    list_display = (
        "reference",
        "request_type",
        "customer",
        "status",
        "priority",
        "assignee",
        "submitted_at",
        "due_at",
        "overdue",
    )
    # RelatedFieldListFilter lists the staff users (limit_choices_to) without scanning every request.
    list_filter = (
        "status",
        "priority",
        "request_type",
        "channel",
        ("assignee", admin.RelatedFieldListFilter),
        "submitted_at",
    )
    show_full_result_count = False  # no COUNT(*) of the whole table on every page
    search_fields = (
        "=reference",
        "details",
        "customer__name",
        "customer__email",
        "customer__username",
        "customer__customer_id",
        "contact_name",
        "contact_email",
        "address",
        "postcode",
    )
    list_select_related = ("request_type", "customer", "assignee")
    ordering = ("-priority", "-submitted_at", "-id")
    date_hierarchy = "submitted_at"
    readonly_fields = (
        "reference",
        "customer",
        "contact_name",
        "contact_email",
        "contact_phone",
        "channel",
        "address",
        "postcode",
        "latitude",
        "longitude",
        "attributes",
        "submitted_at",
        "updated_at",
        "staff_updated_at",
        "due_at",
        "resolved_at",
        "closed_at",
        "cancelled_at",
    )
    inlines = (AttachmentInline, RequestEventInline)
    actions = None

    @admin.display(boolean=True, description="Overdue")
    def overdue(self, service_request):
        return service_request.is_overdue

    def has_add_permission(self, request):
        return False  # requests are submitted by customers

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        # The service refuses agents too, and any request with a gas-emergency record.
        if obj is not None and Emergency.objects.filter(service_request=obj).exists():
            return False
        return request.user.is_active and request.user.is_admin

    def save_model(self, request, obj, form, change):
        stored = ServiceRequest.objects.get(pk=obj.pk)
        services.service_request_update(
            acting_user=request.user,
            service_request=stored,
            expected_version=form.cleaned_data.get("version"),
            **{field: form.cleaned_data[field] for field in form.changed_data if field != "version"},
        )

    def delete_model(self, request, obj):
        services.service_request_delete(acting_user=request.user, service_request=obj)


@admin.register(RequestEvent)
class RequestEventAdmin(AuditTrailAdmin):
    """The audit trail of every request, deleted ones included. Read-only, for admins."""

    list_display = ("created_at", "request_reference", "kind", "actor_name", "is_internal", "field", "new_value")
    list_filter = ("kind", "is_internal", "created_at")
    search_fields = ("=request_reference", "actor_name", "body")
