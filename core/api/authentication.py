"""Session authentication that answers 401 (not 403) to a request with no session."""

from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication with its CSRF check, plus a 401 challenge.

    DRF turns "not authenticated" into 403 unless an authenticator names a
    ``WWW-Authenticate`` scheme; naming one makes anonymous callers get 401.
    """

    def authenticate_header(self, request) -> str:
        return 'Session realm="api"'

    def enforce_csrf(self, request):
        # Check the Django request: Django's CSRF check reads request.POST, which on DRF's
        # request would parse the body with the view's parsers before any permission check
        # (a customer's JSON POST to a staff upload route answered 415 instead of 403).
        return super().enforce_csrf(request._request)
