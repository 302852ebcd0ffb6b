from django.urls import path

from . import views

urlpatterns = [
    path("request-types/", views.RequestTypeListView.as_view(), name="api-request-types"),
    path("submit/", views.SubmitView.as_view(), name="api-submit"),
    path("track/", views.TrackListView.as_view(), name="api-track"),
    path("track/<int:request_id>/", views.TrackDetailView.as_view(), name="api-track-detail"),
    path("admin/requests/", views.AdminRequestListView.as_view(), name="api-admin-requests"),
    path("admin/requests/<int:request_id>/", views.AdminRequestDetailView.as_view(), name="api-admin-request-detail"),
]
