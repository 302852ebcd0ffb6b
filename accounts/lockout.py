"""Login lockout (django-axes): three limits, and a success clears only its own account + address pair.

Failed logins are counted, over the last LOGIN_LOCKOUT_MINUTES, in three scopes:

- one account from one address (`LOGIN_FAILURE_LIMIT`, 5): someone guessing one password;
- one address, any accounts (`LOGIN_ADDRESS_FAILURE_LIMIT`, 20): one client trying many accounts;
- one account, any addresses (`LOGIN_ACCOUNT_FAILURE_LIMIT`, 30): many clients guessing one password.

Reaching any limit blocks the login (429) until the oldest counted failures age out. A
successful login deletes only the failures of that same account from that same address, so
logging in to one's own account never clears what was counted against somebody else's, nor
an address's count against other accounts. Completing a password reset (which proves the
mailbox) clears every failure counted against that account. Every failure is also kept in
axes' AccessFailureLog, which admins read in the Django admin.

The trade-off: the per-account limit stops guessing spread over many addresses, but it lets
someone who makes LOGIN_ACCOUNT_FAILURE_LIMIT failures (from at least
ceil(LOGIN_ACCOUNT_FAILURE_LIMIT / LOGIN_FAILURE_LIMIT) addresses) block a real user for
LOGIN_LOCKOUT_MINUTES; the user can still reset their password, which lifts it. See the
README's security section.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render

from core.api.exceptions import error_body
from core.api.middleware import is_api_path

LOCKED_MESSAGE = (
    "Too many failed login attempts. Logging in is blocked for up to {minutes} minutes "
    "(for this account, this address, or both). Try again later or reset your password; "
    "an administrator can unlock it."
)


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_username(request, credentials=None) -> str | None:
    """The account name failures are counted against: as typed, stripped and lower-cased.

    MariaDB's collation logs "Carol" in as "carol"; counting them apart would let a guesser
    multiply the limits by changing the case.
    """
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(username, str):
        return None
    return username.strip().lower()[:255] or None


def lockout_limits() -> dict[str, int]:
    return {
        "pair": settings.AXES_FAILURE_LIMIT,
        "address": settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        "account": settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
    }


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per scope and a success that resets only its own pair."""

    def _scopes(self, request, credentials) -> dict[str, dict]:
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        scopes = {"address": {"ip_address": address}}
        if username:
            scopes["pair"] = {"username": username, "ip_address": address}
            scopes["account"] = {"username": username}
        return scopes

    def failure_counts(self, request, credentials=None) -> dict[str, int]:
        """Failures counted in each scope over the cool-off period."""
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        return {
            scope: recent.filter(**lookup).aggregate(total=Sum("failures_since_start"))["total"] or 0
            for scope, lookup in self._scopes(request, credentials).items()
        }

    def get_failures(self, request, credentials=None) -> int:
        """The failures counted toward the closest limit, on the scale of AXES_FAILURE_LIMIT.

        axes locks out when this reaches AXES_FAILURE_LIMIT, i.e. when any scope reaches its own limit.
        """
        limits = lockout_limits()
        headroom = min(limits[scope] - count for scope, count in self.failure_counts(request, credentials).items())
        return settings.AXES_FAILURE_LIMIT - headroom

    def reset_user_attempts(self, request, credentials=None) -> int:
        """On success: forget this account's failures from this address, and nothing else."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def clear_account_lockout(user) -> int:
    """Forget every failure counted against `user`'s account (after they proved their mailbox)."""
    count, _ = AccessAttempt.objects.filter(username=user.get_username().lower()).delete()
    return count


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login sees (django-axes calls this): JSON under the API, a page elsewhere."""
    message = LOCKED_MESSAGE.format(minutes=lockout_minutes())
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if is_api_path(request.path):
        response = JsonResponse(error_body(message), status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = retry_after
    return response
