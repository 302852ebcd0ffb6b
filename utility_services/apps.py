from django.apps import AppConfig


class UtilityServicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "utility_services"

    def ready(self):
        from accounts.signals import contact_details_changed

        from .search import index_customer_requests

        def reindex(sender, user, **kwargs):
            index_customer_requests(user)

        contact_details_changed.connect(reindex, dispatch_uid="utility_services.search.reindex", weak=False)
