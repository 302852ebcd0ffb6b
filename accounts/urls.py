"""URLs under /accounts/: the JSON API at /accounts/api/."""

from django.urls import include, path

urlpatterns = [
    path("api/", include("accounts.api.urls")),
]
