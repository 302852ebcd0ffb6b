from django.urls import path

from . import views

urlpatterns = [
    path("request-types/", views.RequestTypeListView.as_view(), name="api-request-types"),
    # Customers: their own requests.
    path("submit/", views.SubmitView.as_view(), name="api-submit"),
    path("track/", views.TrackListView.as_view(), name="api-track"),
    path("track/<int:request_id>/", views.TrackDetailView.as_view(), name="api-track-detail"),
    path("track/<int:request_id>/cancel/", views.CancelView.as_view(), name="api-track-cancel"),
    path("track/<int:request_id>/reopen/", views.ReopenView.as_view(), name="api-track-reopen"),
    path("track/<int:request_id>/comments/", views.CommentView.as_view(), name="api-track-comments"),
    path("track/<int:request_id>/attachments/", views.CustomerAttachmentView.as_view(), name="api-track-attachments"),
    path(
        "track/<int:request_id>/attachments/<int:attachment_id>/",
        views.CustomerAttachmentDownloadView.as_view(),
        name="api-track-attachment",
    ),
    # Staff: the queue.
    path("admin/requests/", views.StaffRequestListView.as_view(), name="api-admin-requests"),
    path("admin/requests/export/", views.StaffRequestExportView.as_view(), name="api-admin-requests-export"),
    path("admin/requests/exports/", views.StaffExportListView.as_view(), name="api-admin-exports"),
    path(
        "admin/requests/exports/<uuid:export_id>/",
        views.StaffExportDetailView.as_view(),
        name="api-admin-export-detail",
    ),
    path(
        "admin/requests/exports/<uuid:export_id>/download/",
        views.StaffExportDownloadView.as_view(),
        name="api-admin-export-download",
    ),
    path("admin/stats/", views.StaffStatsView.as_view(), name="api-admin-stats"),
    path("admin/requests/<int:request_id>/", views.StaffRequestDetailView.as_view(), name="api-admin-request-detail"),
    path("admin/requests/<int:request_id>/notes/", views.StaffNoteView.as_view(), name="api-admin-request-notes"),
    path(
        "admin/requests/<int:request_id>/attachments/",
        views.StaffAttachmentView.as_view(),
        name="api-admin-request-attachments",
    ),
    path(
        "admin/requests/<int:request_id>/attachments/<int:attachment_id>/",
        views.StaffAttachmentDownloadView.as_view(),
        name="api-admin-request-attachment",
    ),
]
