"""Open311 client applications (API keys), and what a request or update that came through Open311 carries.

A request posted through Open311 is an ordinary `ServiceRequest` (channel `open311`,
filed by `utility_services.services.service_request_submit`); `Open311Request` adds the
application that sent it and the fields of the standard our requests do not have.
"""

import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from utility_services.models import RequestEvent, ServiceRequest

KEY_PREFIX = "o311_"
RATE_PATTERN = re.compile(r"^(\d{1,6})/(s|sec|second|m|min|minute|h|hour|d|day)$")


def hash_key(raw_key: str) -> str:
    """SHA-256 of a key: keys are 256 random bits, so a plain hash is enough (no stretching needed)."""
    return hashlib.sha256(raw_key.encode("utf-8", "replace")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(16)


def validate_rate(value: str) -> None:
    if value and not RATE_PATTERN.match(value):
        raise ValidationError("Write a rate as requests/period, e.g. 60/min, 1000/hour or 5/s.")


class ApplicationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class Application(models.Model):
    """A client application (a city's 311 app, FixMyStreet...) that may write through Open311 with its key.

    The key is shown once when issued and only its SHA-256 is stored; revoking it is final.
    """

    name = models.CharField(max_length=100, unique=True)
    contact = models.CharField(max_length=200, blank=True, help_text="Who to call about this application.")
    key_prefix = models.CharField(max_length=12, editable=False, help_text="The key's first characters, to tell it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit = models.CharField(
        max_length=20,
        blank=True,
        validators=[validate_rate],
        help_text="Requests this key may make, e.g. 60/min. Empty: the OPEN311_KEY_RATE setting.",
    )
    returns_tokens = models.BooleanField(
        default=False,
        help_text="Answer its POST requests with a token (resolved by tokens/{token}) instead of the "
        "service_request_id, for clients written for batch servers.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(key_prefix__startswith=KEY_PREFIX), name="application_key_prefix"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…{', revoked' if self.revoked_at else ''})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def effective_rate(self) -> str:
        return self.rate_limit or settings.OPEN311_KEY_RATE


class Open311Request(models.Model):
    """How a service request came in through Open311: which application sent it, and the spec's own fields."""

    service_request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, related_name="open311")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    address_id = models.CharField(max_length=100, blank=True, help_text="The client's address identifier.")
    media_url = models.URLField(max_length=500, blank=True, help_text="A link the client gave (not fetched by us).")
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True, help_text="The reporter's account in the client.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "Open311 request"
        indexes = [models.Index(fields=["application", "created_at"], name="open311_request_app")]

    def __str__(self) -> str:
        return f"{self.service_request.reference} via {self.application.name}"


class Open311Update(models.Model):
    """An update a client posted (servicerequestupdates), by the client's own id: a retry adds nothing."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="updates")
    external_id = models.CharField(max_length=100, help_text="The client's update_id.")
    service_request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="open311_updates")
    event = models.OneToOneField(RequestEvent, on_delete=models.SET_NULL, null=True, related_name="open311_update")
    reported_status = models.CharField(max_length=40)
    reported_at = models.DateTimeField(help_text="The update's time as the client gave it.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "Open311 update"
        constraints = [
            models.UniqueConstraint(fields=["application", "external_id"], name="open311_update_once"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} from {self.application.name}"
