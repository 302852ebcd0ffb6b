"""Every write of the Open311 interface: issuing and revoking keys, posting requests and updates.

Requests are filed by `utility_services.services.service_request_submit` (channel
`open311`) and updates by `service_request_add_reporter_update`, so the workflow, the
timeline, the emergency alerts and the emails are exactly those of the other interfaces.

Who a request belongs to: when the reporter's email is the email of an active customer
account, the request is linked to that account (it shows in the customer's portal, marked
as reported through Open311, and their emails go to that address). Nothing about the
account ever goes back to the client: no response says whether an account matched, the
location is never filled from the account's address, and Open311 outputs carry no
contact details. A client that knows someone's email can add a request to their list
(as anyone could phone one in), never read their data. Staff accounts are never linked.
Without a match, the contact details stay on the request and no login is created.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User, UserManager
from core.exceptions import Forbidden
from utility_services import services as request_services
from utility_services.models import RequestType, ServiceRequest

from .models import RATE_PATTERN, Application, Open311Request, Open311Update, hash_key, new_key

PERIOD_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
PERIOD_SECONDS |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}
LAST_USED_PRECISION = timedelta(minutes=1)
# Statuses a client's update may carry (mySociety's extension, upper case on input).
UPDATE_STATUSES = (
    "UNCHANGED",
    "OPEN",
    "CLOSED",
    "FIXED",
    "IN_PROGRESS",
    "PLANNED",
    "ACTION_SCHEDULED",
    "INVESTIGATING",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "CANCELLED",
    "REOPEN",
    "FOR_TRIAGE",
)
# The only ones that act on our workflow: a Resolved request is reopened, as its customer could.
REOPENING_STATUSES = ("OPEN", "REOPEN")


# --- Keys -------------------------------------------------------------------------------


@transaction.atomic
def application_issue(
    *, acting_user: User, name: str, contact: str = "", rate_limit: str = "", returns_tokens: bool = False
) -> tuple[Application, str]:
    """Register a client application; return it and its key, which is shown this once and never stored."""
    if not acting_user.is_admin:
        raise Forbidden("Only administrators issue API keys.")
    raw_key = new_key()
    application = Application(
        name=name,
        contact=contact,
        rate_limit=rate_limit,
        returns_tokens=returns_tokens,
        key_prefix=raw_key[:12],
        key_hash=hash_key(raw_key),
        created_by=acting_user,
    )
    application.full_clean()
    application.save(force_insert=True)
    return application, raw_key


@transaction.atomic
def application_revoke(*, acting_user: User, application: Application) -> Application:
    """Revoke a key for good: every later call with it is refused (403). Issue a new one to resume."""
    if not acting_user.is_admin:
        raise Forbidden("Only administrators revoke API keys.")
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = acting_user
        locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def application_for_key(raw_key: str) -> Application | None:
    """The active application whose key this is, else None; records when the key was last used."""
    if not raw_key or len(raw_key) > 200:
        return None
    application = Application.objects.active().filter(key_hash=hash_key(raw_key)).first()
    if application is not None:
        now = timezone.now()
        # At most one write a minute per key, not one per request.
        if application.last_used_at is None or now - application.last_used_at > LAST_USED_PRECISION:
            Application.objects.filter(pk=application.pk).update(last_used_at=now)
            application.last_used_at = now
    return application


def rate_limit_wait(identity: str, rate: str) -> int | None:
    """Count one request for `identity`: the seconds to wait if it is over `rate`, else None.

    A fixed window per period, counted in the default cache (shared by every worker when
    it is Redis), so a key's limit holds across processes.
    """
    match = RATE_PATTERN.match(rate or "")
    if not match:
        return None
    allowed, period = int(match[1]), PERIOD_SECONDS[match[2]]
    now = time.time()
    window = int(now // period)
    counter = f"open311:rate:{identity}:{period}:{window}"
    cache.add(counter, 0, timeout=period + 1)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr: this is the first request of the window
        cache.add(counter, 1, timeout=period + 1)
        count = 1
    if count > allowed:
        return max(1, int(period - (now % period)) + 1)
    return None


# --- Requests ---------------------------------------------------------------------------


def customer_for_email(email: str) -> User | None:
    """The active customer account with this email, if there is one (never a staff account)."""
    email = UserManager.normalize_email(email)
    if not email:
        return None
    return User.objects.filter(email=email, role=User.Role.CUSTOMER, is_active=True).first()


@transaction.atomic
def open311_request_submit(
    *,
    application: Application,
    request_type: RequestType,
    description: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    address_string: str = "",
    address_id: str = "",
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
    device_id: str = "",
    account_id: str = "",
    attributes: Mapping | None = None,
) -> Open311Request:
    """File a request posted by an Open311 client, through the same service as every other interface.

    See the module's docstring for how the reporter is matched to an account.
    """
    if not application.is_active:
        raise Forbidden("This API key has been revoked.")
    description = description.strip()
    service_request = request_services.service_request_submit(
        customer=customer_for_email(email),
        request_type=request_type,
        details=description or f"No description given (reported through {application.name}).",
        channel=ServiceRequest.Channel.OPEN311,
        # Never None: the location must not be filled in from a matched account's address.
        address=address_string.strip(),
        latitude=latitude,
        longitude=longitude,
        contact_name=f"{first_name.strip()} {last_name.strip()}".strip()[:150],
        contact_email=email.strip(),
        contact_phone=phone.strip(),
        attributes=attributes,
    )
    record = Open311Request(
        service_request=service_request,
        application=application,
        address_id=address_id.strip(),
        media_url=media_url.strip(),
        device_id=device_id.strip(),
        account_id=account_id.strip(),
    )
    record.full_clean(exclude=["service_request", "application"], validate_unique=False)
    record.save(force_insert=True)
    return record


@transaction.atomic
def open311_update_submit(
    *,
    application: Application,
    service_request: ServiceRequest,
    update_id: str,
    status: str,
    updated_datetime: datetime,
    description: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Open311Update:
    """Record a client's update on a request it sent (servicerequestupdates); a repeated update_id adds nothing.

    The update is a public comment on the request's timeline. Its status is recorded with
    it; only OPEN or REOPEN act on the workflow, reopening a Resolved request as its
    customer could. A client cannot resolve, close or cancel our work.
    """
    if not application.is_active:
        raise Forbidden("This API key has been revoked.")
    existing = Open311Update.objects.filter(application=application, external_id=update_id).first()
    if existing is not None:
        return existing
    if not Open311Request.objects.filter(service_request=service_request, application=application).exists():
        raise Forbidden("Updates can only be sent for requests this application submitted.")
    status = status.upper()
    author = f"{first_name.strip()} {last_name.strip()}".strip() or "Reporter"
    body = description.strip()
    if status != "UNCHANGED":
        body = f"{body}\n\n(Status reported by {application.name}: {status}.)".strip()
    events = request_services.service_request_add_reporter_update(
        service_request=service_request,
        body=body,
        author_name=f"{author} (via {application.name})",
        reopen=status in REOPENING_STATUSES,
    )
    return Open311Update.objects.create(
        application=application,
        external_id=update_id,
        service_request=service_request,
        event=events[0],
        reported_status=status,
        reported_at=updated_datetime,
    )
