"""The account pages through the real forms, session and CSRF flow: register, log in and out,
profile, password change and password reset by email.
"""

import re

import pytest
from django.core import mail
from django.test import TestCase

from accounts import services
from accounts.models import User
from testing.factories import PASSWORD
from testing.page_client import LOGIN, LOGOUT, Page, PageClient, login_redirect

pytestmark = pytest.mark.django_db

REGISTER = "/accounts/register/"
PROFILE = "/accounts/profile/"
PASSWORD_CHANGE = "/accounts/password/change/"
PASSWORD_RESET = "/accounts/password/reset/"
NEW_PASSWORD = "Another-Strong-Passw0rd?"
CUSTOMER_ID = re.compile(r"^GU-[A-Z0-9]{4}-[A-Z0-9]{4}$")
REGISTRATION = {
    "username": "newbie",
    "name": "Nora Newbie",
    "email": "Nora.Newbie@Example.COM",
    "phone_number": "+44 20 7946 0958",
    "address": "1 Gasworks Lane\nLeeds",
    "password1": PASSWORD,
    "password2": PASSWORD,
}
TYPED = ["username", "name", "email", "phone_number", "address"]


@pytest.fixture
def browser():
    return PageClient()


def logged_in(user) -> PageClient:
    client = PageClient()
    client.login(user)
    return client


def is_logged_in(client: PageClient) -> bool:
    response = client.get("/requests/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


# --- register ---------------------------------------------------------------------------------


def test_register_creates_a_customer_through_the_service_then_asks_them_to_log_in(browser):
    response = browser.submit(REGISTER, REGISTRATION)

    # Not logged in at once: an address that already has an account must get the same answer.
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    user = User.objects.get(username="newbie")
    assert (user.email, user.role, user.name) == ("nora.newbie@example.com", User.Role.CUSTOMER, "Nora Newbie")
    assert user.phone_number == "+442079460958"
    assert CUSTOMER_ID.match(user.customer_id)
    assert user.check_password(PASSWORD)
    landing = browser.page("/accounts/login/")
    assert ("success", services.REGISTERED) in landing.messages()
    assert logged_in(user).user == user  # the chosen password works on the login form


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"password1": "password123", "password2": "password123"}, "password1", "This password is too common"),
        ({"username": "Carol"}, "username", "A user with that username already exists."),
        ({"password2": "Not-The-Same-0ne"}, "password2", "The two password fields didn't match."),
        ({"phone_number": "call me maybe"}, "phone_number", "Enter a phone number of 7 to 15 digits"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
    ],
    ids=["common-password", "duplicate-username", "mismatch", "bad-phone", "bad-email", "no-name"],
)
def test_register_shows_the_error_next_to_its_field_and_keeps_what_was_typed(browser, customer, changes, field, error):
    typed = {**REGISTRATION, **changes}

    response = browser.submit(REGISTER, typed)

    assert response.status_code == 200
    page = Page(response)
    assert any(message.startswith(error) for message in page.field_errors(field)), page.field_errors(field)
    assert page.control(field).attrs.get("aria-invalid") == "true"
    assert error in page.error_summary()
    assert {name: page.value(name) for name in TYPED} == {name: typed[name] for name in TYPED}
    assert page.value("password1") == page.value("password2") == ""
    assert not User.objects.filter(username__iexact=typed["username"]).exclude(pk=customer.pk).exists()
    assert User.objects.count() == 1
    assert not is_logged_in(browser)


def test_logged_in_user_visiting_register_goes_to_their_requests(customer):
    response = logged_in(customer).get(REGISTER)

    assert (response.status_code, response["Location"]) == (302, "/requests/")


# --- log in and out ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "landing"), [("customer", "/requests/"), ("agent", "/staff/"), ("admin_user", "/staff/")]
)
def test_login_lands_staff_on_the_queue_and_customers_on_their_requests(request, browser, user, landing):
    response = browser.login(request.getfixturevalue(user))

    assert response["Location"] == landing
    assert browser.get(landing).status_code == 200


def test_login_returns_to_the_page_asked_for(browser, customer):
    assert browser.get("/accounts/profile/")["Location"] == login_redirect(PROFILE)

    response = browser.login(customer, next_url=PROFILE)

    assert response["Location"] == PROFILE


@pytest.mark.parametrize("password", ["wrong-password", PASSWORD.lower()])
def test_wrong_password_is_refused_with_a_message(browser, customer, password):
    response = browser.submit(LOGIN, {"username": customer.username, "password": password})

    assert response.status_code == 200
    assert "We could not log you in" in Page(response).error_summary()
    assert Page(response).value("username") == customer.username
    assert not is_logged_in(browser)


def test_login_without_the_csrf_token_is_refused(browser, customer):
    browser.get(LOGIN)

    response = browser.client.post(LOGIN, {"username": customer.username, "password": PASSWORD})

    assert response.status_code == 403
    assert not is_logged_in(browser)


def test_logout_is_post_only(customer):
    client = logged_in(customer)

    assert client.get(LOGOUT).status_code == 405
    assert is_logged_in(client)

    response = client.logout()

    assert (response.status_code, response["Location"]) == (302, "/")
    assert not is_logged_in(client)


def test_every_page_offers_logout_as_a_post_form(customer):
    page = logged_in(customer).page("/")

    form = next(f for f in page.doc.find_all("form") if f.attrs.get("action") == LOGOUT)
    assert form.attrs["method"] == "post"
    assert form.find("input", name="csrfmiddlewaretoken") is not None


# --- profile ----------------------------------------------------------------------------------


def test_profile_edit_goes_through_the_service(customer):
    client = logged_in(customer)
    changes = {
        "name": "Carol Changed",
        "email": "Carol.New@Example.COM",
        "current_password": PASSWORD,
        "phone_number": "+44 (20) 7946-0000",
        "address": "2 New Street",
    }

    response = client.submit(PROFILE, changes)

    assert (response.status_code, response["Location"]) == (302, PROFILE)
    customer.refresh_from_db()
    # The new email address waits for its confirmation link (test_email_change.py).
    assert (customer.name, customer.email, customer.phone_number, customer.address) == (
        "Carol Changed",
        "carol@example.com",
        "+442079460000",
        "2 New Street",
    )
    page = client.page(PROFILE)
    assert ("success", "Your contact details were saved.") in page.messages()
    assert ("info", services.EMAIL_CHANGE_PENDING.format(email="carol.new@example.com")) in page.messages()
    assert page.value("email") == "carol@example.com"
    assert customer.customer_id in page.text()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("phone_number", "0800-CALL-ME", "Enter a phone number of 7 to 15 digits"),
        ("phone_number", "123", "Enter a phone number of 7 to 15 digits"),
        ("email", "nope", "Enter a valid email address."),
    ],
)
def test_profile_error_is_shown_next_to_its_field_and_nothing_changes(customer, other_customer, field, value, error):
    client = logged_in(customer)
    before = User.objects.values().get(pk=customer.pk)
    typed = {"name": "Carol Renamed", field: value}

    response = client.submit(PROFILE, typed)

    assert response.status_code == 200
    page = Page(response)
    assert any(message.startswith(error) for message in page.field_errors(field)), page.field_errors(field)
    assert page.value(field) == value and page.value("name") == "Carol Renamed"
    assert User.objects.values().get(pk=customer.pk) == before


def test_profile_cannot_change_role_or_username(customer):
    client = logged_in(customer)

    client.submit(PROFILE, {"role": "admin", "username": "root", "is_active": "false"})

    customer.refresh_from_db()
    assert (customer.role, customer.username, customer.is_active) == (User.Role.CUSTOMER, "carol", True)


# --- password change --------------------------------------------------------------------------


def login_is_refused(user, password: str) -> bool:
    client = PageClient()
    response = client.submit(LOGIN, {"username": user.username, "password": password})
    return response.status_code == 200 and "We could not log you in" in Page(response).error_summary()


def test_password_change_logs_out_other_sessions_but_not_this_one(customer):
    here, elsewhere = logged_in(customer), logged_in(customer)
    assert is_logged_in(elsewhere)

    response = here.submit(
        PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/change/done/")
    assert "Your password has been changed" in here.page(response["Location"]).text()
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert login_is_refused(customer, PASSWORD)
    PageClient().login(customer, password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"old_password": "not-my-password"}, "old_password"),
        ({"new_password1": "password123", "new_password2": "password123"}, "new_password2"),
        ({"new_password2": "Different-Passw0rd!"}, "new_password2"),
    ],
    ids=["wrong-old", "common", "mismatch"],
)
def test_password_change_errors_are_shown_and_nothing_changes(customer, changes, field):
    here, elsewhere = logged_in(customer), logged_in(customer)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **changes}

    response = here.submit(PASSWORD_CHANGE, data)

    assert response.status_code == 200
    assert Page(response).field_errors(field)
    assert Page(response).value("new_password1") == ""
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    assert is_logged_in(elsewhere)


def test_password_change_needs_a_login(browser):
    assert browser.get(PASSWORD_CHANGE)["Location"] == login_redirect(PASSWORD_CHANGE)


# --- password reset ---------------------------------------------------------------------------


def reset_link(email) -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", email.body)
    assert match, email.body
    return match.group(1)


def request_reset(browser: PageClient, email: str):
    """Ask for a reset link; its email is queued with the change and sent once the request commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return browser.submit(PASSWORD_RESET, {"email": email})


def test_password_reset_by_email_sets_a_new_password_that_logs_in(browser, customer):
    response = request_reset(browser, customer.email.upper())

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/sent/")
    assert "Check your email" in browser.page(response["Location"]).text()
    assert [email.to for email in mail.outbox] == [[customer.email]]
    assert customer.username in mail.outbox[0].body
    link = reset_link(mail.outbox[0])
    form_url = browser.get(link)["Location"]

    response = browser.submit(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/done/")
    assert login_is_refused(customer, PASSWORD)
    PageClient().login(customer, password=NEW_PASSWORD)
    assert "This link has expired" in PageClient().page(link).text()


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(browser, customer):
    response = request_reset(browser, "nobody@example.com")

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/sent/")
    assert mail.outbox == []


def test_password_reset_refuses_a_common_new_password(browser, customer):
    request_reset(browser, customer.email)
    form_url = browser.get(reset_link(mail.outbox[0]))["Location"]

    response = browser.submit(form_url, {"new_password1": "password123", "new_password2": "password123"})

    assert response.status_code == 200
    assert any("too common" in error for error in Page(response).field_errors("new_password2"))
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


# --- every account page: one h1, <main>, labelled controls, the emergency number ----------------


def reset_confirm_path(browser: PageClient, user) -> str:
    request_reset(browser, user.email)
    return browser.get(reset_link(mail.outbox[-1]))["Location"]


ACCOUNT_PAGES = {
    "login": (None, LOGIN),
    "register": (None, REGISTER),
    "reset": (None, PASSWORD_RESET),
    "reset-sent": (None, "/accounts/password/reset/sent/"),
    "reset-confirm": (None, "confirm"),
    "reset-complete": (None, "/accounts/password/reset/done/"),
    "profile": ("customer", PROFILE),
    "profile-staff": ("agent", PROFILE),
    "password-change": ("customer", PASSWORD_CHANGE),
    "password-change-done": ("customer", "/accounts/password/change/done/"),
}


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_every_account_page_has_one_h1_main_labels_and_the_emergency_number(request, settings, customer, name):
    settings.EMERGENCY_PHONE_NUMBER = "0800 000 4242"
    user, path = ACCOUNT_PAGES[name]
    browser = logged_in(request.getfixturevalue(user)) if user else PageClient()
    if path == "confirm":
        path = reset_confirm_path(browser, customer)

    page = browser.page(path)

    assert page.structure_problems() == []


def test_register_errors_are_tied_to_their_inputs_for_screen_readers(browser):
    page = Page(browser.submit(REGISTER, {**REGISTRATION, "email": "not-an-email", "password2": "x"}))

    for field in ("email", "password2"):
        described_by = page.control(field).attrs.get("aria-describedby", "").split()
        error_ids = [
            p.attrs["id"] for p in page.control(field).closest("div", class_="field").find_all("p", class_="error")
        ]
        assert error_ids and set(error_ids) <= set(described_by), (field, described_by, error_ids)
    assert page.structure_problems() == []
