"""URLs of the service-request app: the JSON API lives under /api/."""

from django.urls import include, path

urlpatterns = [
    path("", include("utility_services.api.urls")),
]
