"""Session authentication that answers 401 (not 403) to a request with no session."""

from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (with its CSRF check), plus a 401 challenge.

    DRF turns "not authenticated" into 403 unless an authenticator names a
    ``WWW-Authenticate`` scheme; naming one makes anonymous callers get 401.
    """

    def authenticate_header(self, request) -> str:
        return 'Session realm="api"'
