from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self):
        from . import db, schema  # noqa: F401 -- schema registers the OpenAPI authentication extension

        db.connect_signals()
