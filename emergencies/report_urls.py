"""Staff console pages of the emergency reports (mounted at /staff/emergency-reports/)."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("", report_views.emergency_reports, name="staff-emergency-reports"),
    path("daily-log/", report_views.emergency_daily_log, name="staff-emergency-daily-log"),
]
