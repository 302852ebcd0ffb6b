"""Web pages of the service-request app: the customer portal and the staff console."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="portal-request-list"),
    path("requests/new/", views.request_new, name="portal-request-new"),
    path("requests/new/<int:type_id>/", views.request_new_details, name="portal-request-new-details"),
    path("requests/<int:pk>/", views.request_detail, name="portal-request-detail"),
    path("requests/<int:pk>/comments/", views.request_comment, name="portal-request-comment"),
    path("requests/<int:pk>/attachments/", views.request_attach, name="portal-request-attach"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="portal-request-cancel"),
    path("requests/<int:pk>/reopen/", views.request_reopen, name="portal-request-reopen"),
    path("staff/", views.staff_queue, name="staff-queue"),
    path("staff/requests/<int:pk>/", views.staff_request_detail, name="staff-request-detail"),
    path("staff/requests/<int:pk>/update/", views.staff_request_update, name="staff-request-update"),
    path("staff/requests/<int:pk>/notes/", views.staff_request_note, name="staff-request-note"),
    path("staff/requests/<int:pk>/attachments/", views.staff_request_attach, name="staff-request-attach"),
    path("staff/exports/", views.staff_exports, name="staff-exports"),
    path("staff/exports/<uuid:export_id>/download/", views.staff_export_download, name="staff-export-download"),
]
