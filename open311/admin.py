"""Admins issue, inspect and revoke Open311 API keys here. A key is shown once, on the page that issues it."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from . import services
from .models import Application, Open311Request, Open311Update


class ApplicationIssueForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ("name", "contact", "rate_limit", "returns_tokens")


class AdminOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(Application)
class ApplicationAdmin(AdminOnly):
    """Client applications and their keys: issue (shown once), set a rate, revoke."""

    list_display = ("name", "key_prefix", "rate", "returns_tokens", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "contact", "key_prefix")
    readonly_fields = ("key_prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by")
    actions = ("revoke",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApplicationIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ApplicationIssueForm.Meta.fields
        return ("name", "contact", "rate_limit", "returns_tokens", *self.readonly_fields)

    @admin.display(description="Rate")
    def rate(self, application):
        return application.effective_rate

    def has_add_permission(self, request):
        return request.user.is_admin

    def has_change_permission(self, request, obj=None):
        return request.user.is_admin

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the requests it sent keep their application

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "contact", "rate_limit", "returns_tokens"])
            return
        application, raw_key = services.application_issue(
            acting_user=request.user,
            name=obj.name,
            contact=obj.contact,
            rate_limit=obj.rate_limit,
            returns_tokens=obj.returns_tokens,
        )
        obj.pk, obj.key_prefix = application.pk, application.key_prefix
        request._open311_issued_key = raw_key

    def response_add(self, request, obj, post_url_continue=None):
        # Shown on this response only: never stored, never put in a message or a redirect.
        context = {
            **self.admin_site.each_context(request),
            "application": obj,
            "raw_key": request._open311_issued_key,
            "opts": self.opts,
            "title": f"API key for {obj.name}",
        }
        response = TemplateResponse(request, "open311/admin/key_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for application in queryset:
            services.application_revoke(acting_user=request.user, application=application)
        messages.success(request, f"{queryset.count()} key(s) revoked: every call with them is now refused.")


class ReadOnlyAdmin(AdminOnly):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Open311Request)
class Open311RequestAdmin(ReadOnlyAdmin):
    list_display = ("service_request", "application", "created_at", "address_id", "device_id", "account_id")
    list_filter = ("application",)
    search_fields = ("=service_request__reference", "=token", "device_id", "account_id")
    list_select_related = ("service_request", "service_request__request_type", "application")


@admin.register(Open311Update)
class Open311UpdateAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "application", "service_request", "reported_status", "reported_at", "created_at")
    list_filter = ("application", "reported_status")
    search_fields = ("=external_id", "=service_request__reference")
    list_select_related = ("service_request", "service_request__request_type", "application")
