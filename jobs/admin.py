from django.contrib import admin

from .models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """Read-only: what was sent, when, after how many attempts (and why not, for failures)."""

    list_display = ["id", "subject", "created_at", "attempts", "sent_at", "failed_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "key"]
    ordering = ["-id"]
    readonly_fields = [field.name for field in OutboxEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
