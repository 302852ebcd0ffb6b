"""Account rules enforced below the API: accounts.services, the model and its manager."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import User
from core.exceptions import Conflict, Forbidden
from testing.factories import ServiceRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CUSTOMER_ID = re.compile(rf"^GU-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")
PASSWORD = "Blue-Meter-Reading-42"


def create(**overrides) -> User:
    fields = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password": PASSWORD,
        "name": "New Bie",
        "phone_number": "07700 900123",
        "address": "1 Gasworks Lane",
    }
    fields.update(overrides)
    return services.user_create(**fields)


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# --- customer id ----------------------------------------------------------------------------------------------------


def test_createsuperuser_makes_an_admin_with_a_customer_id(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command(
        "createsuperuser", interactive=False, username="root", email="Root@Example.COM", name="Root", verbosity=0
    )

    user = User.objects.get(username="root")
    assert CUSTOMER_ID.match(user.customer_id)
    assert user.role == User.Role.ADMIN
    assert user.is_superuser and user.is_staff
    assert user.email == "root@example.com"
    assert user.check_password(PASSWORD)


def test_every_creation_path_assigns_a_customer_id():
    users = [
        create(),
        User.objects.create_user("plain", "plain@example.com", PASSWORD, name="Plain"),
        User.objects.create_superuser("super", "super@example.com", PASSWORD, name="Super"),
        UserFactory(),
    ]
    assert all(CUSTOMER_ID.match(user.customer_id) for user in users)
    assert len({user.customer_id for user in users}) == len(users)


def test_customer_ids_are_unique_and_not_derived_from_the_user_count():
    ids = [UserFactory().customer_id for _ in range(60)]

    assert len(set(ids)) == len(ids)
    assert all(CUSTOMER_ID.match(customer_id) for customer_id in ids)
    # A counter would reuse a few characters in fixed positions; random codes spread over the alphabet.
    chars = "".join(customer_id[3:].replace("-", "") for customer_id in ids)
    assert len(set(chars)) >= 25
    for position in range(8):
        assert len({customer_id[3:].replace("-", "")[position] for customer_id in ids}) >= 10


def test_customer_id_is_enforced_unique_by_the_database():
    first = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(customer_id=first.customer_id)


# --- email ----------------------------------------------------------------------------------------------------------


def test_email_is_stored_lower_case():
    assert create(email="  New.Bie@Example.COM ").email == "new.bie@example.com"
    assert User.objects.create_user("plain", "Plain@EXAMPLE.com", PASSWORD, name="P").email == "plain@example.com"


@pytest.mark.parametrize("email", ["newbie@example.com", "NEWBIE@example.com", "Newbie@Example.Com"])
def test_email_is_unique_ignoring_case(email):
    create()
    with pytest.raises(ValidationError) as excinfo:
        create(username="second", email=email)
    assert error_fields(excinfo) == {"email"}
    assert User.objects.count() == 1


def test_profile_update_does_not_change_the_email_without_the_password_and_a_confirmation():
    user = create()
    with pytest.raises(Forbidden) as excinfo:
        services.user_update_profile(user=user, email="Fresh@Example.ORG")
    assert set(excinfo.value.details) == {"current_password"}

    services.user_update_profile(user=user, email="Fresh@Example.ORG", current_password=PASSWORD)

    user.refresh_from_db()
    assert user.email == "newbie@example.com"


def test_model_save_stores_email_lower_cased():
    """Every ORM save (admin forms, shell, fixtures) lower-cases the email, not only the services.

    The database's own check (email = LOWER(email)) backs this up on SQLite and PostgreSQL;
    MySQL's case-insensitive collation makes that comparison always true there.
    """
    user = User(username="raw", email="Raw@Example.com", name="Raw")
    user.save()
    assert User.objects.get(pk=user.pk).email == "raw@example.com"


def test_database_refuses_an_email_differing_only_in_case():
    """Even a write that skips the services cannot create a case-variant duplicate."""
    create()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="raw", email="NEWBIE@example.com", name="Raw")])


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b"])
def test_invalid_email_is_refused(email):
    with pytest.raises(ValidationError) as excinfo:
        create(email=email)
    assert "email" in error_fields(excinfo)


# --- username -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["newbie", "NEWBIE", "NewBie"])
def test_username_is_unique_ignoring_case(username):
    create()
    with pytest.raises(ValidationError) as excinfo:
        create(username=username, email="second@example.com")
    assert error_fields(excinfo) == {"username"}


def test_admin_rename_refuses_a_username_in_use_in_another_case():
    admin = UserFactory(role=User.Role.ADMIN)
    first = create()
    second = create(username="second", email="second@example.com")

    with pytest.raises(ValidationError) as excinfo:
        services.user_update(acting_user=admin, user=second, username=first.username.upper())

    assert error_fields(excinfo) == {"username"}
    second.refresh_from_db()
    assert second.username == "second"


def test_user_may_keep_own_username_and_email_in_another_case():
    admin = UserFactory(role=User.Role.ADMIN)
    user = create()
    services.user_update(acting_user=admin, user=user, username="NEWBIE", email="NEWBIE@EXAMPLE.COM")
    user.refresh_from_db()
    assert (user.username, user.email) == ("NEWBIE", "newbie@example.com")


# --- phone number ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+44 (20) 7946-0958", "+442079460958"),
        ("020.7946.0958", "02079460958"),
        ("0161 496 0000", "01614960000"),
        ("(555) 123-4567", "5551234567"),
        ("1234567", "1234567"),
        ("+123456789012345", "+123456789012345"),
        ("", ""),
    ],
)
def test_phone_number_is_normalised(typed, stored):
    assert create(phone_number=typed).phone_number == stored


@pytest.mark.parametrize(
    "typed",
    ["123456", "+1234567890123456", "phone me", "0161 496 000x", "++441614960000", "44+1614960000", "+"],
)
def test_invalid_phone_number_is_refused(typed):
    with pytest.raises(ValidationError) as excinfo:
        create(phone_number=typed)
    assert error_fields(excinfo) == {"phone_number"}
    assert not User.objects.exists()


def test_profile_update_normalises_and_validates_the_phone_number():
    user = create()
    services.user_update_profile(user=user, phone_number="+44 7700-900 999")
    user.refresh_from_db()
    assert user.phone_number == "+447700900999"

    with pytest.raises(ValidationError) as excinfo:
        services.user_update_profile(user=user, phone_number="12")
    assert error_fields(excinfo) == {"phone_number"}
    user.refresh_from_db()
    assert user.phone_number == "+447700900999"


# --- passwords ------------------------------------------------------------------------------------------------------


def test_password_is_hashed():
    user = create()
    assert user.password != PASSWORD
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)


def test_common_password_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as excinfo:
        create(password="password123")
    assert any("too common" in message for message in excinfo.value.messages)
    assert not User.objects.exists()


def test_registration_always_makes_a_customer():
    user = services.user_register(
        username="newbie",
        email="newbie@example.com",
        password=PASSWORD,
        name="New Bie",
        phone_number="",
        address="",
    )
    assert user.role == User.Role.CUSTOMER
    assert not user.is_staff and not user.is_superuser


# --- profile updates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("role", User.Role.ADMIN), ("is_active", False), ("username", "renamed"), ("customer_id", "GU-AAAA-AAAA")],
)
def test_profile_update_refuses_privileged_fields(field, value):
    user = create()
    before = User.objects.values().get(pk=user.pk)

    with pytest.raises(ValidationError) as excinfo:
        services.user_update_profile(user=user, **{field: value})

    assert error_fields(excinfo) == {field}
    assert User.objects.values().get(pk=user.pk) == before


# --- admin updates: self-protection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"role": User.Role.CUSTOMER}, {"role"}),
        ({"role": User.Role.AGENT}, {"role"}),
        ({"is_active": False}, {"is_active"}),
        ({"role": User.Role.AGENT, "is_active": False}, {"role", "is_active"}),
    ],
)
def test_admin_cannot_demote_or_deactivate_themselves(changes, fields):
    admin = UserFactory(role=User.Role.ADMIN)

    with pytest.raises(Forbidden) as excinfo:
        services.user_update(acting_user=admin, user=admin, **changes)

    assert set(excinfo.value.details) == fields
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (User.Role.ADMIN, True)


def test_admin_may_resend_own_role_and_edit_own_details():
    admin = UserFactory(role=User.Role.ADMIN)
    services.user_update(acting_user=admin, user=admin, role=User.Role.ADMIN, is_active=True, name="Renamed")
    admin.refresh_from_db()
    assert (admin.role, admin.is_active, admin.name) == (User.Role.ADMIN, True, "Renamed")


def test_admin_may_demote_and_deactivate_another_admin():
    admin = UserFactory(role=User.Role.ADMIN)
    other = UserFactory(role=User.Role.ADMIN)

    services.user_update(acting_user=admin, user=other, role=User.Role.AGENT, is_active=False)

    other.refresh_from_db()
    assert (other.role, other.is_active) == (User.Role.AGENT, False)
    assert other.is_staff and not other.is_superuser


@pytest.mark.parametrize(("field", "value"), [("customer_id", "GU-AAAA-AAAA"), ("password", "x"), ("is_staff", True)])
def test_admin_update_refuses_fields_outside_the_editable_set(field, value):
    admin = UserFactory(role=User.Role.ADMIN)
    user = create()
    with pytest.raises(ValidationError) as excinfo:
        services.user_update(acting_user=admin, user=user, **{field: value})
    assert error_fields(excinfo) == {field}


def test_role_must_be_a_known_role():
    admin = UserFactory(role=User.Role.ADMIN)
    user = create()
    with pytest.raises(ValidationError) as excinfo:
        services.user_update(acting_user=admin, user=user, role="superuser")
    assert error_fields(excinfo) == {"role"}
    user.refresh_from_db()
    assert user.role == User.Role.CUSTOMER


# --- delete ---------------------------------------------------------------------------------------------------------


def test_user_delete_removes_a_user_without_requests():
    admin = UserFactory(role=User.Role.ADMIN)
    user = create()

    services.user_delete(acting_user=admin, user=user)

    assert not User.objects.filter(pk=user.pk).exists()


def test_user_delete_refuses_a_user_with_requests():
    admin = UserFactory(role=User.Role.ADMIN)
    user = create()
    ServiceRequestFactory.create_batch(2, customer=user)

    with pytest.raises(Conflict) as excinfo:
        services.user_delete(acting_user=admin, user=user)

    assert "is_active" in excinfo.value.message
    assert excinfo.value.details["service_requests"] == 2
    assert User.objects.filter(pk=user.pk).exists()
    assert user.service_requests.count() == 2


def test_user_delete_refuses_deleting_yourself():
    admin = UserFactory(role=User.Role.ADMIN)

    with pytest.raises(Forbidden):
        services.user_delete(acting_user=admin, user=admin)

    assert User.objects.filter(pk=admin.pk).exists()


def test_database_keeps_request_history_even_if_a_delete_skips_the_service():
    user = create()
    ServiceRequestFactory(customer=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).delete()
