from django.apps import AppConfig


class EmergenciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "emergencies"
    verbose_name = "Gas emergencies"

    def ready(self):
        from . import local_time  # noqa: F401  (registers the check of the calendar settings)
