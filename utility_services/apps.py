from django.apps import AppConfig


class UtilityServicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "utility_services"
