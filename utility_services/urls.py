"""Web pages of the service-request app: the customer portal and the staff console."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="portal-request-list"),
    path("requests/new/", views.request_new, name="portal-request-new"),
    path("requests/new/<int:type_id>/", views.request_new_details, name="portal-request-new-details"),
    path("requests/<int:pk>/", views.request_detail, name="portal-request-detail"),
    path("staff/", views.staff_queue, name="staff-queue"),
    path("staff/requests/<int:pk>/", views.staff_request_detail, name="staff-request-detail"),
    path("staff/exports/", views.staff_exports, name="staff-exports"),
    path("staff/exports/<uuid:export_id>/download/", views.staff_export_download, name="staff-export-download"),
]
