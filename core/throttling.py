"""Rate limits: DRF's scoped throttle with rates read from settings at request time."""

from types import SimpleNamespace

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


class ClientAddressThrottle(ScopedThrottle):
    """A scoped throttle keyed on the client's address even for logged-in callers.

    For endpoints anyone may call (the emergency report): one address cannot flood them by
    logging in and out, or by switching accounts.
    """

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def page_rate_limited(request, scope: str, *, per_address: bool = False) -> int | None:
    """For the web pages: the seconds to wait if `request` is over its `scope` rate, else None.

    The pages share the API's rates and counters, so a limit cannot be dodged by switching
    from the API to the web form. `per_address` counts by the client's address even when
    logged in, as `ClientAddressThrottle` does for the API view of the same scope.
    """
    throttle = ClientAddressThrottle() if per_address else ScopedThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
        return None
    return int(throttle.wait() or 60)
