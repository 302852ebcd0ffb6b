"""Every write to user accounts: registration, profile edits, admin management."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from core.concurrency import check_version
from core.exceptions import Conflict, Forbidden

from .models import PriorityServicesCategory, PriorityServicesRegistration, User, UserAuditEvent, UserManager
from .signals import contact_details_changed
from .validators import normalize_phone_number

PROFILE_FIELDS = ("name", "email", "phone_number", "address")
SEARCHABLE_FIELDS = {"name", "email", "username"}
ADMIN_EDITABLE_FIELDS = ("username", *PROFILE_FIELDS, "role", "is_active")


def user_check_unique(*, username: str | None = None, email: str | None = None, exclude: User | None = None) -> None:
    """Refuse a username or email already in use, ignoring case."""
    others = User.objects.all() if exclude is None else User.objects.exclude(pk=exclude.pk)
    errors = {}
    if username is not None and others.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = ["A user with that email address already exists."]
    if errors:
        raise ValidationError(errors)


def _clean_fields(user: User, fields) -> None:
    """Run the model's field validators (phone format, email, lengths) on `fields`."""
    exclude = [f.name for f in User._meta.fields if f.name not in fields]
    user.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def _save(user: User, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            user.save(**save_kwargs)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same name or email.
        raise ValidationError({"non_field_errors": ["That username or email address is already in use."]}) from None


AUDITED_FIELDS = ("username", "email", "name", "phone_number", "address", "role", "is_active")


def _audit(actor: User | None, target: User, action: str, changes: dict) -> None:
    """Keep who changed which account and how (passwords are never recorded)."""
    UserAuditEvent.objects.create(
        actor=actor,
        actor_username=actor.username if actor else "",
        target=target if action != UserAuditEvent.Action.DELETED else None,
        target_username=target.username,
        action=action,
        changes=changes,
    )


@transaction.atomic
def user_create(
    *,
    acting_user: User | None = None,
    username: str,
    email: str,
    password: str,
    name: str,
    phone_number: str = "",
    address: str = "",
    role: str = User.Role.CUSTOMER,
    is_active: bool = True,
) -> User:
    """Create an account with a validated, hashed password and a new customer id.

    Without an `acting_user` (self-registration) only a customer account can be made.
    """
    if acting_user is not None and not acting_user.is_admin:
        raise Forbidden("Only administrators can create accounts for others.")
    if acting_user is None and role != User.Role.CUSTOMER:
        raise Forbidden("Only administrators can create staff accounts.")
    email = UserManager.normalize_email(email)
    user = User(
        username=username,
        email=email,
        name=name,
        phone_number=normalize_phone_number(phone_number),
        address=address,
        role=role,
        is_active=is_active,
    )
    _clean_fields(user, ("username", "email", "name", "phone_number", "address", "role"))
    user_check_unique(username=username, email=email)
    validate_password(password, user)
    user.set_password(password)
    _save(user)
    _audit(
        acting_user or user, user, UserAuditEvent.Action.CREATED, {f: [None, getattr(user, f)] for f in AUDITED_FIELDS}
    )
    return user


def user_register(*, username: str, email: str, password: str, name: str, phone_number: str, address: str) -> User:
    """Self-service sign-up: always a customer."""
    return user_create(
        username=username,
        email=email,
        password=password,
        name=name,
        phone_number=phone_number,
        address=address,
        role=User.Role.CUSTOMER,
    )


def _apply_changes(user: User, changes: dict, allowed: tuple[str, ...]) -> dict:
    """Validate and apply `changes`; return {field: [before, after]} of what really changed."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(unknown)})
    if "email" in changes:
        changes["email"] = UserManager.normalize_email(changes["email"])
    if "phone_number" in changes:
        changes["phone_number"] = normalize_phone_number(changes["phone_number"])
    diff = {field: [getattr(user, field), value] for field, value in changes.items() if getattr(user, field) != value}
    for field, (_before, after) in diff.items():
        setattr(user, field, after)
    _clean_fields(user, diff)
    user_check_unique(
        username=changes["username"] if "username" in diff else None,
        email=changes["email"] if "email" in diff else None,
        exclude=user,
    )
    return diff


def _update(user: User, changes: dict, allowed: tuple[str, ...], actor: User, expected_version: int | None) -> User:
    """Apply changes to the row, locked, if it is still the version the caller read."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    check_version(locked, expected_version)
    diff = _apply_changes(locked, changes, allowed)
    if diff:
        _save(locked, update_fields=[*diff, "updated_at"])
        _audit(actor, locked, UserAuditEvent.Action.UPDATED, diff)
        if SEARCHABLE_FIELDS.intersection(diff):
            contact_details_changed.send(sender=User, user=locked)
    return locked


@transaction.atomic
def user_update_profile(*, user: User, expected_version: int | None = None, **changes) -> User:
    """Let a user edit their own contact details (never their role or status)."""
    return _update(user, changes, PROFILE_FIELDS, user, expected_version)


@transaction.atomic
def user_update(*, acting_user: User, user: User, expected_version: int | None = None, **changes) -> User:
    """Let an admin edit any account; an admin cannot demote or deactivate themselves."""
    if not acting_user.is_admin:
        raise Forbidden("Only administrators can change other accounts.")
    if user.pk == acting_user.pk:
        errors = {}
        if changes.get("role", user.role) != user.role:
            errors["role"] = ["You cannot change your own role; ask another admin."]
        if changes.get("is_active", True) is False:
            errors["is_active"] = ["You cannot deactivate your own account; ask another admin."]
        if errors:
            raise ValidationError(errors)
    return _update(user, changes, ADMIN_EDITABLE_FIELDS, acting_user, expected_version)


def _has_requests_conflict(user: User) -> Conflict:
    return Conflict(
        "This user has service requests, so the account cannot be deleted: request history is "
        'never lost. Deactivate the account instead with PUT {"is_active": false}.',
        details={"service_requests": user.service_requests.count(), "is_active": user.is_active},
    )


@transaction.atomic
def user_delete(*, acting_user: User, user: User) -> None:
    """Delete an account that has no service requests; otherwise explain how to deactivate it."""
    if not acting_user.is_admin:
        raise Forbidden("Only administrators can delete accounts.")
    if user.pk == acting_user.pk:
        raise Forbidden("You cannot delete your own account.")
    if user.service_requests.exists():
        raise _has_requests_conflict(user)
    snapshot = {field: [getattr(user, field), None] for field in AUDITED_FIELDS}
    try:
        with transaction.atomic():
            user.delete()
            _audit(acting_user, user, UserAuditEvent.Action.DELETED, snapshot)
    except (ProtectedError, IntegrityError):
        if not user.service_requests.exists():
            # Named in records that must be kept (an emergency record's entries, say).
            raise Conflict(
                "This user is named in records that must be kept, so the account cannot be deleted. "
                'Deactivate the account instead with PUT {"is_active": false}.',
                details={"is_active": user.is_active},
            ) from None
        # A request was filed between the check and the delete.
        raise _has_requests_conflict(user) from None


# --- Priority Services Register -------------------------------------------------------


def _psr_snapshot(registration: PriorityServicesRegistration | None) -> dict | None:
    if registration is None:
        return None
    return {
        "categories": list(registration.categories),
        "needs": registration.needs,
        "consent_given_at": registration.consent_given_at.isoformat(),
        "consent_source": registration.consent_source,
    }


def _check_psr_access(acting_user: User, user: User) -> None:
    """A customer manages their own entry; staff (agents, admins) manage any customer's."""
    if acting_user.pk != user.pk and not acting_user.is_staff:
        raise Forbidden("Only the customer or support staff can change a Priority Services Register entry.")
    if user.role != User.Role.CUSTOMER:
        raise Conflict("Only customer accounts can be on the Priority Services Register.", details={"role": user.role})


def validate_psr_categories(categories: list[str]) -> list[str]:
    """Refuse an empty or unknown category list; return it without duplicates, in the register's order."""
    unknown = sorted(set(categories) - set(PriorityServicesCategory.values))
    if unknown:
        raise ValidationError({"categories": [f"Unknown categories: {', '.join(unknown)}."]})
    if not categories:
        raise ValidationError({"categories": ["Choose at least one category."]})
    return [code for code in PriorityServicesCategory.values if code in categories]


@transaction.atomic
def priority_services_register(
    *, acting_user: User, user: User, categories: list[str], needs: str = "", consent: bool
) -> PriorityServicesRegistration:
    """Put a customer on the Priority Services Register, or change their entry, with their consent.

    `consent` must be True: nobody is registered without it. It is recorded as given now,
    by the customer (when they act themselves) or to the staff member acting. The change is
    audited on the account.
    """
    _check_psr_access(acting_user, user)
    if consent is not True:
        raise ValidationError(
            {"consent": ["The customer's consent is required to hold their details on the register."]}
        )
    categories = validate_psr_categories(list(categories))
    locked = User.objects.select_for_update().get(pk=user.pk)
    registration = PriorityServicesRegistration.objects.filter(user=locked).first()
    before = _psr_snapshot(registration)
    if registration is None:
        registration = PriorityServicesRegistration(user=locked)
    registration.categories = categories
    registration.needs = needs
    registration.consent_given_at = timezone.now()
    registration.consent_source = (
        PriorityServicesRegistration.ConsentSource.CUSTOMER
        if acting_user.pk == user.pk
        else PriorityServicesRegistration.ConsentSource.STAFF
    )
    registration.consent_recorded_by = acting_user
    registration.consent_recorded_by_name = acting_user.name or acting_user.username
    registration.full_clean(exclude=["user", "consent_recorded_by"], validate_constraints=False)
    registration.save()
    _audit(
        acting_user, locked, UserAuditEvent.Action.UPDATED, {"priority_services": [before, _psr_snapshot(registration)]}
    )
    return registration


@transaction.atomic
def priority_services_withdraw(*, acting_user: User, user: User) -> None:
    """Take a customer off the register (their consent withdrawn); audited on the account."""
    _check_psr_access(acting_user, user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    registration = PriorityServicesRegistration.objects.filter(user=locked).first()
    if registration is None:
        raise Conflict("This account is not on the Priority Services Register.")
    before = _psr_snapshot(registration)
    registration.delete()
    _audit(acting_user, locked, UserAuditEvent.Action.UPDATED, {"priority_services": [before, None]})
