from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The job queue's shared pieces: the email outbox, housekeeping jobs, deployment checks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"

    def ready(self):
        from . import checks  # noqa: F401 -- registers the system checks
