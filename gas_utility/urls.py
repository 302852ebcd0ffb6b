"""Root URLs: the JSON APIs (paths from the original README), the OpenAPI schema and
docs, the Django admin, and the web pages (customer portal and staff console)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.ops import health

handler500 = "core.views.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("utility_services.api.urls")),
    path("api/", include("emergencies.api.urls")),
    path("open311/v2/", include("open311.urls")),
    path("staff/emergency-reports/", include("emergencies.report_urls")),
    path("", include("emergencies.urls")),
    path("", include("utility_services.urls")),
]

if settings.BENCHMARK:
    from benchmarks.views import ceiling

    urlpatterns.insert(0, path("benchmark/ceiling/", ceiling, name="benchmark-ceiling"))
