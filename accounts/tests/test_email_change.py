"""The sign-in email changes only with the password and a confirmation link, and neither sign-up
nor the profile tells anyone whether an address already has an account."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts import services
from accounts.models import User, UserAuditEvent
from testing.api_client import ApiClient
from testing.assertions import error_details, success_data
from testing.factories import PASSWORD

# Real commits: the emails are sent after the commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)
ACCOUNT = "/accounts/api/account/"
REGISTER = "/accounts/api/register/"


def link_in(email) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/email/confirm/[^\s]+/)", email.body)[1]


def mails_to(address: str) -> list:
    return [email for email in mail.outbox if address in email.to]


@pytest.mark.parametrize(("password", "message"), [(None, "Enter your current password"), ("wrong", "not your")])
def test_a_session_alone_cannot_change_the_email(customer_api, customer, password, message):
    body = {"email": "mallory@example.com"} | ({"current_password": password} if password else {})

    details = error_details(customer_api.patch(ACCOUNT, body), 403)

    assert message in details["current_password"][0]
    customer.refresh_from_db()
    assert customer.email == "carol@example.com"
    assert mail.outbox == []


def test_a_new_address_takes_effect_only_when_its_link_is_opened_and_the_old_one_is_told(customer_api, customer):
    response = customer_api.patch(ACCOUNT, {"email": "Carol.New@Example.com", "current_password": PASSWORD})

    assert success_data(response)["email"] == "carol@example.com"
    assert "We sent a link to carol.new@example.com" in response.json()["message"]
    customer.refresh_from_db()
    assert customer.email == "carol@example.com"
    (told,) = mails_to("carol@example.com")
    assert "c***@example.com" in told.body and "carol.new@example.com" not in told.body
    (confirmation,) = mails_to("carol.new@example.com")

    # Opening the link (a mail scanner would) shows the change; only the button applies it.
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(link_in(confirmation))
    assert page.status_code == 200 and "carol.new@example.com" in page.content.decode()
    customer.refresh_from_db()
    assert customer.email == "carol@example.com"
    response = visitor.post(link_in(confirmation), {"csrfmiddlewaretoken": visitor.cookies["csrftoken"].value})
    assert response.status_code == 302

    customer.refresh_from_db()
    assert customer.email == "carol.new@example.com"
    assert "is now c***@example.com" in mails_to("carol@example.com")[-1].body
    audit = UserAuditEvent.objects.filter(target=customer).order_by("id").values_list("changes", flat=True)
    assert list(audit)[-1] == {"email": ["carol@example.com", "carol.new@example.com"]}
    # Password resets now go to the confirmed address only.
    mail.outbox.clear()
    Client().post("/accounts/password/reset/", {"email": "carol@example.com"})
    assert mail.outbox == []
    Client().post("/accounts/password/reset/", {"email": "carol.new@example.com"})
    assert [email.to for email in mail.outbox] == [["carol.new@example.com"]]


def test_the_answer_is_the_same_whether_or_not_the_new_address_has_an_account(customer_api, customer, other_customer):
    free = customer_api.patch(ACCOUNT, {"email": "free@example.com", "current_password": PASSWORD})
    taken = customer_api.patch(ACCOUNT, {"email": other_customer.email.upper(), "current_password": PASSWORD})

    assert (free.status_code, taken.status_code) == (200, 200)
    assert free.json()["message"].replace("free@example.com", "X") == taken.json()["message"].replace(
        other_customer.email, "X"
    )
    assert free.json()["data"] == taken.json()["data"]
    # The taken address's owner is told instead of being sent a link; nothing changes for anyone.
    (notice,) = mails_to(other_customer.email)
    assert "already belongs to an account" in notice.body and "/email/confirm/" not in notice.body
    other_customer.refresh_from_db()
    customer.refresh_from_db()
    assert (customer.email, other_customer.email) == ("carol@example.com", "dave@example.com")


def test_a_link_works_once_and_not_after_the_account_changed_nor_when_forged(customer_api, customer):
    customer_api.patch(ACCOUNT, {"email": "first@example.com", "current_password": PASSWORD})
    customer_api.patch(ACCOUNT, {"email": "second@example.com", "current_password": PASSWORD})
    first, second = link_in(mails_to("first@example.com")[0]), link_in(mails_to("second@example.com")[0])
    visitor = Client()

    assert visitor.post(second).status_code == 302
    assert visitor.post(first).status_code == 400  # the account moved on since it was sent
    assert visitor.post(second).status_code == 302  # already done: nothing more happens
    forged = second[:-3] + ("x" if second[-3] != "x" else "y") + second[-2:]  # a signature character changed
    assert visitor.post(forged).status_code == 400
    assert visitor.get("/accounts/email/confirm/not-a-token/").status_code == 400
    customer.refresh_from_db()
    assert customer.email == "second@example.com"


def registration(**overrides) -> dict:
    return {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "name": "New Bie",
        "phone_number": "+441632960000",
        "address": "1 Gas Street",
    } | overrides


def test_signing_up_with_a_registered_address_answers_as_for_a_new_one_and_tells_its_owner(api, customer):
    new = api.post(REGISTER, registration(username="first", email="first@example.com"))
    taken = ApiClient().post(REGISTER, registration(username="second", email=customer.email.upper()))

    assert (new.status_code, taken.status_code) == (201, 201)
    assert new.json()["message"] == taken.json()["message"] == services.REGISTERED
    new_data, taken_data = new.json()["data"], taken.json()["data"]
    assert set(new_data) == set(taken_data)
    assert taken_data["email"] == "carol@example.com" and taken_data["username"] == "second"
    assert taken_data["id"] > new_data["id"]
    # No account was made for the taken address; its owner was emailed.
    assert not User.objects.filter(username="second").exists()
    assert User.objects.filter(email="carol@example.com").get() == customer
    (notice,) = mails_to("carol@example.com")
    assert "register a new Gas Utility Service account" in notice.body
    assert ApiClient().post("/accounts/api/login/", {"username": "second", "password": PASSWORD}).status_code == 401


def test_signing_up_with_a_registered_address_still_checks_the_rest(api, customer):
    details = error_details(api.post(REGISTER, registration(email=customer.email, password2="Other-Pass-9876")), 400)
    assert "password2" in details
    details = error_details(api.post(REGISTER, registration(username="carol", email=customer.email)), 400)
    assert "username" in details
    assert mail.outbox == []


def test_the_register_page_answers_the_same_for_a_registered_address(client, customer):
    form = registration() | {"email": "brand.new@example.com"}
    new = client.post("/accounts/register/", form)
    taken = Client().post("/accounts/register/", form | {"username": "other", "email": customer.email})

    assert (new.status_code, new["Location"]) == (taken.status_code, taken["Location"]) == (302, "/accounts/login/")
    assert User.objects.filter(username="newbie").exists() and not User.objects.filter(username="other").exists()


def test_the_profile_page_asks_for_the_password_to_change_the_email(client, customer):
    client.force_login(customer)
    form = {"name": customer.name, "email": "page.new@example.com", "phone_number": "+441632960001", "address": "1 Rd"}

    refused = client.post("/accounts/profile/", form)
    assert refused.status_code == 200 and "Enter your current password" in refused.content.decode()
    assert mails_to("page.new@example.com") == []

    accepted = client.post("/accounts/profile/", form | {"current_password": PASSWORD})
    assert accepted.status_code == 302
    assert len(mails_to("page.new@example.com")) == 1
    customer.refresh_from_db()
    assert customer.email == "carol@example.com"
