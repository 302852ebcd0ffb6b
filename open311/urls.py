"""Open311 GeoReport v2 routes: each resource in .xml and .json; anything else is a 404 in the spec's format."""

from django.urls import path, re_path, register_converter

from . import openapi, views


class FormatConverter:
    regex = "xml|json"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class IdentifierConverter:
    """A service code, request id or token: no dots, so the format suffix stays apart."""

    regex = "[-A-Za-z0-9_]{1,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FormatConverter, "open311_format")
register_converter(IdentifierConverter, "open311_id")

urlpatterns = [
    path("discovery.<open311_format:fmt>", views.DiscoveryView.as_view(), name="open311-discovery"),
    path("services.<open311_format:fmt>", views.ServiceListView.as_view(), name="open311-services"),
    path(
        "services/<open311_id:service_code>.<open311_format:fmt>",
        views.ServiceDefinitionView.as_view(),
        name="open311-service-definition",
    ),
    path("requests.<open311_format:fmt>", views.RequestsView.as_view(), name="open311-requests"),
    path(
        "requests/<open311_id:service_request_id>.<open311_format:fmt>",
        views.RequestDetailView.as_view(),
        name="open311-request",
    ),
    path("tokens/<open311_id:token>.<open311_format:fmt>", views.TokenView.as_view(), name="open311-token"),
    path("servicerequestupdates.<open311_format:fmt>", views.UpdatesView.as_view(), name="open311-updates"),
    path("openapi.json", openapi.openapi_view, name="open311-openapi"),
    re_path(r"^(?P<path>[\s\S]*)\Z", views.not_found, name="open311-not-found"),  # newlines too
]
