"""Rate limits: DRF's scoped throttle with rates read from settings at request time."""

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """Throttle views that set `throttle_scope`, per user (or per client address when anonymous).

    Rates come from settings.API_THROTTLE_RATES each time, so they can be configured and
    tested; counters live in the default cache (shared by all workers when REDIS_URL is set).
    """

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        from core.network import client_ip

        return client_ip(request)
