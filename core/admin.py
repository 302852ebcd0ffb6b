"""Django admin pieces shared by the apps."""

from django.contrib import admin


class AuditTrailAdmin(admin.ModelAdmin):
    """A read-only audit trail: admins read it; nobody adds, edits or deletes an entry."""

    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
