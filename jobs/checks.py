"""System checks about how the service is deployed."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def shared_state_check(app_configs, **kwargs):
    """Warn when production settings run without Redis: every process would keep its own state."""
    if getattr(settings, "PRODUCTION", False) and not settings.REDIS_URL:
        return [
            Warning(
                "REDIS_URL is not set: sessions, rate limits, lockout counters and caches are kept per "
                "process, and tasks (emails, alerts, exports) run inside the web process with no retry.",
                hint="Set REDIS_URL to a Redis shared by every web node and worker.",
                id="jobs.W001",
            )
        ]
    return []
