"""Rate limits: one set of named rates and counters for the API, the pages and the Django admin.

- Credential entries (log in, register, password reset) are limited per client address by
  `CredentialRateLimitMiddleware`, whichever interface they come through: the API, the
  pages and the admin's login share one counter per scope, so switching door gains nothing.
- Other writes (submit, comment, note, attachment, profile) are limited per user: DRF views
  set `throttle_scope` (`ScopedThrottle`), pages call `page_rate_limited` with the same scope.

Rates are read from settings.API_THROTTLE_RATES at request time; counters live in the
default cache (shared by all workers when REDIS_URL is set).
"""

from types import SimpleNamespace

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.throttling import ScopedRateThrottle

from core.ops.network import client_ip

# URL names of every credential entry, and the scope whose counter each one shares.
CREDENTIAL_ENTRIES = {
    "api-login": "login",
    "login": "login",
    "admin:login": "login",
    "api-register": "register",
    "register": "register",
    "password_reset": "password_reset",
}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ScopedThrottle(ScopedRateThrottle):
    """Throttle the writes of views that set `throttle_scope`, per user (per address when anonymous).

    Reads are never throttled: a scope counts what changes or sends something.
    """

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class AddressThrottle(ScopedThrottle):
    """Per client address, even for a logged-in caller: credential entries, and what anyone may
    call (the emergency report), so one address cannot flood it by switching accounts."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _wait(throttle_class, request, scope: str) -> int | None:
    throttle = throttle_class()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
        return None
    return max(1, int(throttle.wait() or 60))


def page_rate_limited(request, scope: str, *, per_address: bool = False) -> int | None:
    """For the web pages: the seconds to wait if `request` is over its `scope` rate, else None.

    The pages share the API's rates and counters, so a limit cannot be dodged by switching
    from the API to the web form. `per_address` counts by the client's address even when
    logged in, as `AddressThrottle` does for the API view of the same scope.
    """
    return _wait(AddressThrottle if per_address else ScopedThrottle, request, scope)


def too_many_message(wait: int) -> str:
    return f"Too many attempts from here. Please try again in {max(1, round(wait / 60))} minutes."


def rate_limited_response(request, wait: int):
    """429 with Retry-After: the error envelope under the API, a page elsewhere."""
    # Imported here: DRF imports this module (DEFAULT_THROTTLE_CLASSES) while core.api.exceptions loads.
    from core.api.exceptions import error_body
    from core.api.middleware import is_api_path

    message = too_many_message(wait)
    response: HttpResponse
    if is_api_path(request.path):
        response = JsonResponse(error_body(f"Request was throttled. {message}"), status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


class CredentialRateLimitMiddleware:
    """Count every POST to a credential entry against its scope, per client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match is None:
            return None
        scope = CREDENTIAL_ENTRIES.get(request.resolver_match.view_name)
        if scope is None:
            return None
        wait = _wait(AddressThrottle, request, scope)
        return None if wait is None else rate_limited_response(request, wait)
