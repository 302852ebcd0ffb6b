from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self):
        from core.api import schema  # noqa: F401 -- registers the OpenAPI authentication extension
        from core.ops import db

        db.connect_signals()
