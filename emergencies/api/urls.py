from django.urls import path

from . import views

ONE = "<int:emergency_id>/"
REPORTS = "admin/emergency-reports/"

urlpatterns = [
    # Anyone: report an emergency.
    path("emergencies/report/", views.EmergencyReportView.as_view(), name="api-emergency-report"),
    # Dispatchers (agents, admins): the board, phone entry and the whole record.
    path("admin/emergencies/", views.StaffEmergencyListView.as_view(), name="api-admin-emergencies"),
    path(f"admin/emergencies/{ONE}", views.StaffEmergencyDetailView.as_view(), name="api-admin-emergency-detail"),
    path(f"admin/emergencies/{ONE}dispatch/", views.DispatchView.as_view(), name="api-admin-emergency-dispatch"),
    path(
        f"admin/emergencies/{ONE}classification/",
        views.ClassificationView.as_view(),
        name="api-admin-emergency-classification",
    ),
    path(f"admin/emergencies/{ONE}steps/", views.StaffStepView.as_view(), name="api-admin-emergency-steps"),
    path(f"admin/emergencies/{ONE}records/", views.StaffRecordView.as_view(), name="api-admin-emergency-records"),
    path(f"admin/emergencies/{ONE}incidents/", views.StaffIncidentView.as_view(), name="api-admin-emergency-incidents"),
    path(
        f"admin/emergencies/{ONE}regulator-notifications/",
        views.RegulatorNotifiedView.as_view(),
        name="api-admin-emergency-regulator",
    ),
    path(
        f"admin/emergencies/{ONE}corrections/", views.CorrectionView.as_view(), name="api-admin-emergency-corrections"
    ),
    path(f"admin/emergencies/{ONE}reviews/", views.ReviewView.as_view(), name="api-admin-emergency-reviews"),
    path(
        f"admin/emergencies/{ONE}miss-reasons/", views.MissReasonView.as_view(), name="api-admin-emergency-miss-reasons"
    ),
    path(f"admin/emergencies/{ONE}photos/", views.StaffPhotoView.as_view(), name="api-admin-emergency-photos"),
    # Engineers: the emergencies dispatched to them.
    path("engineer/emergencies/", views.EngineerEmergencyListView.as_view(), name="api-engineer-emergencies"),
    path(
        f"engineer/emergencies/{ONE}",
        views.EngineerEmergencyDetailView.as_view(),
        name="api-engineer-emergency-detail",
    ),
    path(f"engineer/emergencies/{ONE}steps/", views.EngineerStepView.as_view(), name="api-engineer-emergency-steps"),
    path(
        f"engineer/emergencies/{ONE}records/",
        views.EngineerRecordView.as_view(),
        name="api-engineer-emergency-records",
    ),
    path(
        f"engineer/emergencies/{ONE}incidents/",
        views.EngineerIncidentView.as_view(),
        name="api-engineer-emergency-incidents",
    ),
    path(f"engineer/emergencies/{ONE}photos/", views.EngineerPhotoView.as_view(), name="api-engineer-emergency-photos"),
    # Staff (agents, admins): the reports, as JSON and as CSV (emergencies.reports).
    *(
        route
        for slug, view, csv_view in (
            ("standard-of-service", views.StandardOfServiceView, views.StandardOfServiceCsvView),
            ("daily-log", views.DailyLogView, views.DailyLogCsvView),
            ("monthly-summary", views.MonthlySummaryView, views.MonthlySummaryCsvView),
            ("review-and-make-safe", views.ReviewAndMakeSafeView, views.ReviewAndMakeSafeCsvView),
        )
        for route in (
            path(f"{REPORTS}{slug}/", view.as_view(), name=f"api-admin-emergency-report-{slug}"),
            path(f"{REPORTS}{slug}/csv/", csv_view.as_view(), name=f"api-admin-emergency-report-{slug}-csv"),
        )
    ),
    path(
        f"{REPORTS}standard-of-service/misses/csv/",
        views.StandardOfServiceMissesCsvView.as_view(),
        name="api-admin-emergency-report-standard-of-service-misses-csv",
    ),
]
