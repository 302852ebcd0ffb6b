"""Users of the service desk: customers, support agents and administrators."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower

from core.identifiers import random_code

from .validators import phone_number_validator


def generate_customer_id() -> str:
    """Return a new random customer id such as ``GU-7K3M-9Q2X`` (30^8 possibilities)."""
    return random_code("GU")


STAFF_ROLES = ("agent", "admin")


class UserQuerySet(models.QuerySet):
    def assignable(self):
        """Who may be assigned a service request: active agents and admins (`User.is_assignable` for one)."""
        return self.filter(role__in=STAFF_ROLES, is_active=True)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """Create users with lower-cased emails; `createsuperuser` makes an admin."""

    @classmethod
    def normalize_email(cls, email):
        return (email or "").strip().lower()

    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.CUSTOMER)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields["role"] = User.Role.ADMIN
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """An account. `role` decides what it may do; staff flags derive from it.

    ``is_staff`` (Django admin access) and ``is_superuser`` are properties of the
    role, not stored flags, so no code path can grant one without the other.
    Engineers (field staff) are deliberately not staff: they see only the emergencies
    dispatched to them (``emergencies.models.EmergencyQuerySet.for_engineer``).
    """

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        ADMIN = "admin", "Admin"
        # Field staff: see and record only the emergencies dispatched to them (not staff).
        ENGINEER = "engineer", "Engineer"

    first_name = None
    last_name = None

    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150)
    phone_number = models.CharField(max_length=16, blank=True, validators=[phone_number_validator])
    address = models.CharField(max_length=300, blank=True)
    customer_id = models.CharField(max_length=16, unique=True, editable=False, default=generate_customer_id)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["email", "name"]

    class Meta:
        ordering = ["-date_joined", "-id"]
        constraints = [
            # Emails are stored lower-cased, so plain uniqueness is case-insensitive everywhere.
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
            models.CheckConstraint(condition=~models.Q(email=""), name="user_email_not_empty"),
            models.CheckConstraint(
                condition=models.Q(role__in=["customer", "agent", "admin", "engineer"]), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.customer_id})"

    # These properties replace AbstractUser's stored flags of the same names.
    @property
    def is_staff(self) -> bool:
        """Agents and admins work service requests and may use the Django admin."""
        return self.role in (self.Role.AGENT, self.Role.ADMIN)

    @property
    def is_superuser(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_assignable(self) -> bool:
        """Whether service requests may be assigned to this user (the rule of `User.objects.assignable()`)."""
        return self.role in STAFF_ROLES and self.is_active

    @property
    def is_engineer(self) -> bool:
        """Field staff: not staff (no queue, no Django admin); they work the emergencies dispatched to them."""
        return self.role == self.Role.ENGINEER

    def clean(self):
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def save(self, *args, **kwargs):
        # Emails are compared lower-cased everywhere; no save path may store another form.
        self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)


class UserAuditEvent(models.Model):
    """Who changed which account, when, from what to what. Kept after the account is deleted."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    target = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    target_username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}; never passwords.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.action} {self.target_username}"
        )


class PriorityServicesCategory(models.TextChoices):
    """Why a customer needs priority (the Priority Services Register's usual needs codes, grouped)."""

    PENSIONABLE_AGE = "pensionable_age", "Of pensionable age"
    DISABILITY = "disability", "Physical disability"
    SIGHT_OR_HEARING = "sight_or_hearing", "Blind or partially sighted, deaf or hard of hearing"
    CHRONIC_ILLNESS = "chronic_illness", "Chronic or serious illness"
    MENTAL_HEALTH = "mental_health", "Mental health condition or dementia"
    YOUNG_CHILDREN = "young_children", "Young children in the household (under 5)"
    MEDICAL_EQUIPMENT = "medical_equipment", "Medical equipment that depends on energy"
    TEMPORARY = "temporary", "Temporary circumstances (after a hospital stay, pregnancy...)"


class PriorityServicesRegistration(models.Model):
    """A customer's entry on the Priority Services Register (PSR), made with their consent.

    One per account. The consent is recorded with when it was given, how (online by the
    customer, or to a member of staff) and who recorded it; withdrawing deletes the entry.
    Both are written by `accounts.services` and kept in the account's audit trail
    (`UserAuditEvent`, field ``priority_services``). An emergency reported by a registered
    customer is flagged vulnerable on the dispatch board (see `emergencies`).
    """

    Category = PriorityServicesCategory

    class ConsentSource(models.TextChoices):
        CUSTOMER = "customer", "Given by the customer online"
        STAFF = "staff", "Given to a member of staff"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="priority_services")
    categories = models.JSONField(default=list, help_text="PriorityServicesCategory values; at least one.")
    needs = models.CharField(
        max_length=500, blank=True, help_text="What help is needed, in the customer's words (e.g. 'uses oxygen')."
    )
    consent_given_at = models.DateTimeField()
    consent_source = models.CharField(max_length=16, choices=ConsentSource.choices)
    consent_recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    consent_recorded_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_source__in=["customer", "staff"]), name="psr_consent_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"PSR {self.user_id}: {', '.join(self.categories)}"

    @property
    def category_labels(self) -> list[str]:
        return [PriorityServicesCategory(code).label for code in self.categories]
