"""Django admin for service requests (agents and admins) and the request-type catalogue.

Changes go through `utility_services.services`, so the workflow rules are the API's.
"""

from django import forms
from django.contrib import admin

from . import services, workflow
from .models import RequestType, ServiceRequest


class StaffOnlyAdmin(admin.ModelAdmin):
    """Open to agents and admins by role (they have no per-model Django permissions)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(RequestType)
class RequestTypeAdmin(StaffOnlyAdmin):
    list_display = ("name", "is_emergency", "target_resolution_hours", "is_active", "sort_order")
    list_filter = ("is_emergency", "is_active")
    list_editable = ("is_active", "sort_order")
    search_fields = ("name", "description")

    # Agents read the catalogue; only admins change it.
    def has_change_permission(self, request, obj=None):
        return request.user.is_admin

    def has_add_permission(self, request):
        return request.user.is_admin

    def has_delete_permission(self, request, obj=None):
        # Types in use are protected by the database; retire them with is_active instead.
        return request.user.is_admin


class ServiceRequestForm(forms.ModelForm):
    class Meta:
        model = ServiceRequest
        fields = ("request_type", "status", "details", "resolution_details")

    def clean_status(self):
        new_status = self.cleaned_data["status"]
        current = self.instance.status
        if new_status != current and not workflow.can_transition(current, new_status):
            allowed = ", ".join(workflow.allowed_transitions(current)) or "none"
            raise forms.ValidationError(f"A {current} request cannot move to {new_status}. Allowed: {allowed}.")
        return new_status


@admin.register(ServiceRequest)
class ServiceRequestAdmin(StaffOnlyAdmin):
    form = ServiceRequestForm
    list_display = ("id", "request_type", "customer", "status", "submitted_at", "updated_at", "resolved_at")
    list_filter = ("status", "request_type", "submitted_at")
    search_fields = ("details", "customer__name", "customer__email", "customer__username", "customer__customer_id")
    list_select_related = ("request_type", "customer")
    ordering = ("-submitted_at", "-id")
    date_hierarchy = "submitted_at"
    readonly_fields = ("customer", "submitted_at", "updated_at", "resolved_at", "closed_at", "cancelled_at")
    actions = None

    def has_add_permission(self, request):
        return False  # requests are submitted by customers

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def save_model(self, request, obj, form, change):
        stored = ServiceRequest.objects.get(pk=obj.pk)
        services.service_request_update(
            acting_user=request.user,
            service_request=stored,
            **{field: form.cleaned_data[field] for field in form.changed_data},
        )

    def delete_model(self, request, obj):
        services.service_request_delete(acting_user=request.user, service_request=obj)
