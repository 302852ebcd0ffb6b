"""Web pages of gas emergencies: the report (anyone), the dispatch board (staff), the engineer's page."""

from django.urls import path

from . import views

urlpatterns = [
    path("emergency/", views.report, name="emergency-report"),
    path("emergency/reported/", views.reported, name="emergency-reported"),
    path("staff/emergencies/", views.board, name="staff-emergency-board"),
    path("staff/emergencies/new/", views.phoned_report, name="staff-emergency-new"),
    path("staff/emergencies/<int:pk>/", views.staff_detail, name="staff-emergency-detail"),
    path("engineer/", views.engineer_home, name="engineer-home"),
    path("engineer/emergencies/<int:pk>/", views.engineer_detail, name="engineer-emergency"),
    path(
        "engineer/emergencies/<int:pk>/files/<int:attachment_id>/",
        views.engineer_attachment,
        name="engineer-emergency-file",
    ),
]
