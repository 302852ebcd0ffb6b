"""Service requests and the catalogue of request types they are filed under."""

from django.conf import settings
from django.db import models


class RequestType(models.Model):
    """A kind of service request customers may submit (catalogue data, seeded by a migration)."""

    name = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=300, blank=True)
    target_resolution_hours = models.PositiveIntegerField(
        default=120, help_text="Service-level target: hours from submission to resolution."
    )
    is_emergency = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True, help_text="Inactive types cannot be chosen for new requests.")
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ServiceRequestQuerySet(models.QuerySet):
    def for_customer(self, user):
        """Requests the given customer submitted, newest first."""
        return self.filter(customer=user).select_related("request_type").newest_first()

    def for_staff(self):
        """Every request, with what staff lists show, newest first."""
        return self.select_related("request_type", "customer").newest_first()

    def newest_first(self):
        return self.order_by("-submitted_at", "-id")


class ServiceRequestStatus(models.TextChoices):
    """Where a request is in its workflow; the allowed moves live in `workflow.py`."""

    # Stored and shown exactly as the original README writes them.
    PENDING = "Pending", "Pending"
    IN_PROGRESS = "In Progress", "In Progress"
    RESOLVED = "Resolved", "Resolved"
    CLOSED = "Closed", "Closed"
    CANCELLED = "Cancelled", "Cancelled"


class ServiceRequest(models.Model):
    """A customer's request for service, from submission to resolution."""

    Status = ServiceRequestStatus

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # request history is never deleted with its customer
        related_name="service_requests",
    )
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="service_requests")
    details = models.TextField()
    status = models.CharField(max_length=16, choices=ServiceRequestStatus.choices, default=ServiceRequestStatus.PENDING)
    resolution_details = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-submitted_at"], name="sr_customer_submitted"),
            models.Index(fields=["status", "-submitted_at"], name="sr_status_submitted"),
            models.Index(fields=["request_type", "-submitted_at"], name="sr_type_submitted"),
            models.Index(fields=["-submitted_at", "-id"], name="sr_submitted"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(details=""), name="sr_details_not_empty"),
            models.CheckConstraint(condition=models.Q(status__in=ServiceRequestStatus.values), name="sr_status_valid"),
            # Timestamps agree with the status: set when it is reached, cleared when left.
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, status__in=["Pending", "In Progress", "Cancelled"])
                | models.Q(resolved_at__isnull=False, status="Resolved")
                | models.Q(status="Closed"),
                name="sr_resolved_at_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=False, status="Closed")
                | (models.Q(closed_at__isnull=True) & ~models.Q(status="Closed")),
                name="sr_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=False, status="Cancelled")
                | (models.Q(cancelled_at__isnull=True) & ~models.Q(status="Cancelled")),
                name="sr_cancelled_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.request_type} ({self.status})"

    @property
    def type_of_request(self) -> str:
        """The request type's name, as the API has always called it."""
        return self.request_type.name
