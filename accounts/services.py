"""Every write to user accounts: registration, profile edits, admin management."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from core.concurrency import check_version
from core.exceptions import Conflict, Forbidden

from . import notifications
from .models import PriorityServicesCategory, PriorityServicesRegistration, User, UserAuditEvent, UserManager
from .signals import contact_details_changed
from .validators import normalize_phone_number

PROFILE_FIELDS = ("name", "email", "phone_number", "address")
# What a user changes on their own account at once; a new email address must be confirmed first.
SELF_SERVICE_FIELDS = ("name", "phone_number", "address")
EMAIL_CHANGE_SALT = "accounts.email-change"
# The same answer whether or not the address already had an account.
REGISTERED = (
    "Registration successful. You can now log in. (If that email address already had an account, "
    "no new one was made: its owner was emailed instead.)"
)
EMAIL_CHANGE_PENDING = (
    "We sent a link to {email}: your email address changes when you open it (within a day). "
    "Until then it stays as it was."
)
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


def validate_new_password(
    password1: str, password2: str, *, username: str = "", email: str = "", name: str = ""
) -> None:
    """The two entries match and pass the password validators (against the account's own details).

    Registration (API and page), admin user creation (API and Django admin) all call this.
    """
    if password1 != password2:
        raise ValidationError({"password2": ["The two password fields didn't match."]})
    try:
        validate_password(password1, User(username=username or "", email=email or "", name=name or ""))
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None


def validate_own_account_change(acting_user: User, user: User, changes: dict) -> None:
    """Through user management, an admin cannot change their own role, deactivate themselves,
    nor change their own email address (that needs their password and a confirmation link,
    from their own account): another admin must. Forbidden (403), naming each field."""
    if user.pk != acting_user.pk:
        return
    errors = {}
    if changes.get("role", user.role) != user.role:
        errors["role"] = ["You cannot change your own role; ask another admin."]
    if changes.get("is_active", True) is False:
        errors["is_active"] = ["You cannot deactivate your own account; ask another admin."]
    if new_email_requested(user, changes.get("email")):
        errors["email"] = [
            "Change your own email address from your account: it needs your password and a confirmation."
        ]
    if errors:
        raise Forbidden(next(iter(errors.values()))[0], details=errors)


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


class _Discarded(Exception):
    def __init__(self, user: User):
        super().__init__("discarded")
        self.user = user


def user_register(*, username: str, email: str, password: str, name: str, phone_number: str, address: str) -> User:
    """Self-service sign-up: always a customer.

    An address that already has an account gets the same answer as a new one, so sign-up
    cannot be used to learn who has an account: the same checks and the same work run (the
    account is built and inserted, then rolled back), the returned account is never stored,
    and the address's owner is emailed instead.
    """
    email = UserManager.normalize_email(email)
    if not User.objects.filter(email=email).exists():
        return user_create(
            username=username,
            email=email,
            password=password,
            name=name,
            phone_number=phone_number,
            address=address,
            role=User.Role.CUSTOMER,
        )
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from None
    # The password checks must see the real address, as they would for a new account.
    validate_password(password, User(username=username, email=email, name=name))
    try:
        with transaction.atomic():
            user = user_create(
                username=username,
                email=f"{uuid.uuid4().hex}@registration.invalid",
                password=password,
                name=name,
                phone_number=phone_number,
                address=address,
                role=User.Role.CUSTOMER,
            )
            raise _Discarded(user)
    except _Discarded as discarded:
        user = discarded.user
    user.email = email
    notifications.notify_address_already_registered(email, "registration")
    return user


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


def new_email_requested(user: User, email: str | None) -> str | None:
    """The address `email` asks to move `user` to, if it differs from theirs (it must then be confirmed)."""
    email = UserManager.normalize_email(email)
    return email if email and email != user.email else None


def validate_current_password(user: User, password: str | None) -> None:
    """Refuse a sensitive change unless the caller knows the account's password (a session is not enough).

    Forbidden (403), not a validation error: the body is well formed, the caller is not allowed.
    """
    if not password:
        message = "Enter your current password to change your email address."
    elif not user.check_password(password):
        message = "That is not your current password."
    else:
        return
    raise Forbidden(message, details={"current_password": [message]})


@transaction.atomic
def user_update_profile(
    *, user: User, expected_version: int | None = None, current_password: str | None = None, **changes
) -> User:
    """Let a user edit their own contact details (never their role or status).

    A different email address is not applied here: with the current password, it is sent
    a confirmation link and the old address is told (`user_request_email_change`).
    """
    new_email = new_email_requested(user, changes.pop("email", None))
    if new_email:
        validate_current_password(user, current_password)
    updated = _update(user, changes, SELF_SERVICE_FIELDS, user, expected_version)
    if new_email:
        _request_email_change(updated, new_email)
    return updated


@transaction.atomic
def user_request_email_change(*, user: User, new_email: str, current_password: str) -> None:
    """Send a confirmation link to `new_email` and tell the current address; change nothing yet.

    The answer is the same whether or not `new_email` already has an account (its owner is
    emailed instead of being sent a link), so nobody can test which addresses are registered.
    """
    validate_current_password(user, current_password)
    _request_email_change(user, new_email)


def _request_email_change(user: User, new_email: str) -> None:
    new_email = UserManager.normalize_email(new_email)
    try:
        validate_email(new_email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from None
    _clean_fields(User(email=new_email), ("email",))
    if new_email == user.email:
        return
    _audit(user, user, UserAuditEvent.Action.UPDATED, {"email_change_requested": [user.email, new_email]})
    notifications.notify_old_address_of_email_change_request(user, new_email)
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        notifications.notify_address_already_registered(new_email, "email_change")
        return
    token = signing.dumps({"user": user.pk, "email": new_email, "from": user.email}, salt=EMAIL_CHANGE_SALT)
    notifications.send_email_change_link(user, new_email, token)


def email_change_of(token: str) -> dict:
    """The change a confirmation link asks for: {"user", "email", "from"}; refused if forged or expired."""
    try:
        return signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:  # SignatureExpired included
        raise ValidationError("This confirmation link is invalid or has expired. Ask for a new one.") from None


@transaction.atomic
def user_confirm_email_change(*, token: str) -> User:
    """Apply the email change a confirmation link names; the previous address is told."""
    change = email_change_of(token)
    locked = User.objects.select_for_update().filter(pk=change["user"], is_active=True).first()
    if locked is not None and locked.email == change["email"]:
        return locked  # the link was already used
    if locked is None or locked.email != change["from"]:
        raise ValidationError("This confirmation link is no longer valid: the account changed since it was sent.")
    old_email = locked.email
    diff = _apply_changes(locked, {"email": change["email"]}, ("email",))
    _save(locked, update_fields=[*diff, "updated_at"])
    _audit(locked, locked, UserAuditEvent.Action.UPDATED, diff)
    contact_details_changed.send(sender=User, user=locked)
    notifications.notify_old_address_of_email_change(locked, old_email)
    return locked


@transaction.atomic
def user_update(*, acting_user: User, user: User, expected_version: int | None = None, **changes) -> User:
    """Let an admin edit any account; an admin cannot demote or deactivate themselves."""
    if not acting_user.is_admin:
        raise Forbidden("Only administrators can change other accounts.")
    validate_own_account_change(acting_user, user, changes)
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
