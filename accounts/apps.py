from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .backends import user_changed

        # Any change to a user drops it from the cache of each request's user (backends.py).
        post_save.connect(user_changed, sender=self.get_model("User"), dispatch_uid="accounts-user-cache-save")
        post_delete.connect(user_changed, sender=self.get_model("User"), dispatch_uid="accounts-user-cache-delete")
