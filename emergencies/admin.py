"""Django admin for emergency records: read-only for agents and admins.

The record is append-only: nothing is added, changed or deleted here. Dispatchers act
through the API (and the pages of part 3), which call `emergencies.services`.
"""

from django.contrib import admin

from .models import Emergency, EmergencyEvent


class ReadOnlyAdminMixin:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EmergencyEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EmergencyEvent
    extra = 0
    can_delete = False
    fields = ("recorded_at", "occurred_at", "kind", "actor_name", "engineer", "corrects", "reason", "body", "data")
    readonly_fields = fields
    ordering = ("recorded_at", "id")


@admin.register(Emergency)
class EmergencyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "reference",
        "classification",
        "stage",
        "is_vulnerable",
        "engineer",
        "received_at",
        "deadline_at",
        "arrived_at",
        "closed_at",
    )
    list_filter = ("stage", "classification", "is_vulnerable", "channel", "has_incident", "received_at")
    search_fields = ("=reference", "address", "postcode", "reporter_phone")
    list_select_related = ("engineer",)
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = None
    inlines = (EmergencyEventInline,)
    readonly_fields = [field.name for field in Emergency._meta.fields]
