"""Login lockout: three limits shared by the API, the login page and the admin login, and a success
that clears only its own account + address pair (see accounts/lockout.py).

Every attack below interleaves failures against a victim with successes on the attacker's own
account, through each interface, because that is how the old lockout was wiped.
"""

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from testing.admin_client import AdminSiteClient
from testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
DOORS = ("api", "page", "admin")
ATTACKER_ADDRESS = "198.51.100.7"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """These tests count lockouts; the per-address rate limit has its own tests."""
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "login": "10000/min"}


def attempt(door: str, username: str, password: str, address: str) -> str:
    """Log in through `door` from `address`: 'ok', 'wrong' or 'locked'."""
    client = Client(REMOTE_ADDR=address)
    if door == "api":
        response = client.post(
            "/accounts/api/login/", {"username": username, "password": password}, content_type="application/json"
        )
        return {200: "ok", 401: "wrong", 429: "locked"}[response.status_code]
    path = "/accounts/login/" if door == "page" else "/admin/login/"
    response = client.post(path, {"username": username, "password": password})
    if response.status_code == 429:
        return "locked"
    if response.status_code == 302:
        return "ok"
    assert response.status_code == 200, response.status_code
    return "wrong"


@pytest.fixture
def victim(db):
    return UserFactory(username="victim", role=User.Role.ADMIN)


@pytest.fixture
def attacker(db):
    return UserFactory(username="mallory")


@pytest.mark.parametrize("fail_door", DOORS)
@pytest.mark.parametrize("own_door", ["api", "page"])
def test_logging_in_to_ones_own_account_never_clears_the_failures_against_a_victim(
    victim, attacker, fail_door, own_door
):
    outcomes = []
    for _ in range(2):
        outcomes += [attempt(fail_door, victim.username, "wrong-guess", ATTACKER_ADDRESS) for _ in range(4)]
        outcomes.append(attempt(own_door, attacker.username, PASSWORD, ATTACKER_ADDRESS))

    # The old lockout: [wrong] * 4 + [ok], twice, forever. Now the fifth guess locks the pair.
    assert outcomes == ["wrong"] * 4 + ["ok"] + ["locked"] * 4 + ["ok"]
    for door in DOORS:
        assert attempt(door, victim.username, PASSWORD, ATTACKER_ADDRESS) == "locked"
    # Only the pair is locked: the victim logs in from home, the attacker into their own account.
    assert attempt("api", victim.username, PASSWORD, "203.0.113.10") == "ok"
    assert attempt("page", attacker.username, PASSWORD, ATTACKER_ADDRESS) == "ok"


@pytest.mark.parametrize("door", DOORS)
def test_one_address_guessing_many_accounts_is_locked_whatever_it_logs_in_to(attacker, door, settings):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    outcomes = []
    for index in range(limit):
        outcomes.append(attempt(door, f"someone{index % 7}", "wrong-guess", ATTACKER_ADDRESS))
        if index % 4 == 3 and index < limit - 1:
            assert attempt("api", attacker.username, PASSWORD, ATTACKER_ADDRESS) == "ok"

    assert outcomes == ["wrong"] * (limit - 1) + ["locked"]
    bystander = UserFactory(role=User.Role.AGENT)  # staff, so the admin login would let them in
    assert attempt(door, bystander.username, PASSWORD, ATTACKER_ADDRESS) == "locked"
    assert attempt("api", attacker.username, PASSWORD, ATTACKER_ADDRESS) == "locked"
    assert attempt(door, bystander.username, PASSWORD, "203.0.113.10") == "ok"


def test_guesses_spread_over_many_addresses_lock_the_account_until_its_owner_resets_the_password(
    victim, attacker, settings, django_capture_on_commit_callbacks
):
    limit = settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    per_address = settings.AXES_FAILURE_LIMIT - 1  # stay under the pair limit at each address
    addresses = [f"198.51.100.{index}" for index in range(1, limit // per_address + 2)]
    outcomes = []
    for address in addresses:
        for _ in range(per_address):
            if len(outcomes) < limit:
                outcomes.append(attempt(DOORS[len(outcomes) % 3], victim.username, "wrong-guess", address))
        assert attempt("api", attacker.username, PASSWORD, address) == "ok"

    assert outcomes == ["wrong"] * (limit - 1) + ["locked"]
    # The trade-off: the real user is locked out too, from anywhere...
    assert attempt("page", victim.username, PASSWORD, "203.0.113.10") == "locked"

    # ...until they prove their mailbox with a password reset.
    client = Client(REMOTE_ADDR="203.0.113.10")
    with django_capture_on_commit_callbacks(execute=True):  # the reset email is sent once it commits
        client.post("/accounts/password/reset/", {"email": victim.email})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+)", mail.outbox[-1].body)[1]
    form_url = client.get(link).url
    new_password = "Fresh-Gas-Valve-2031"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert attempt("api", victim.username, new_password, "203.0.113.10") == "ok"


def test_the_three_interfaces_share_one_count(victim):
    outcomes = [attempt(door, victim.username, "wrong-guess", ATTACKER_ADDRESS) for door in ("api", "page", "admin")]
    outcomes += [attempt(door, victim.username, "wrong-guess", ATTACKER_ADDRESS) for door in ("admin", "page")]
    assert outcomes == ["wrong"] * 4 + ["locked"]
    assert [attempt(door, victim.username, PASSWORD, ATTACKER_ADDRESS) for door in DOORS] == ["locked"] * 3


def test_a_users_own_success_clears_their_own_failures_from_that_address(customer):
    home = "203.0.113.20"
    assert [attempt("page", customer.username, "typo", home) for _ in range(4)] == ["wrong"] * 4
    assert attempt("api", customer.username, PASSWORD, home) == "ok"
    assert [attempt("api", customer.username, "typo", home) for _ in range(4)] == ["wrong"] * 4
    assert attempt("page", customer.username, PASSWORD, home) == "ok"


def test_changing_the_case_of_the_username_does_not_multiply_the_guesses(customer):
    names = ["carol", "Carol", "CAROL", "cArOl", " carol"]
    outcomes = [attempt("api", name, "wrong-guess", ATTACKER_ADDRESS) for name in names]
    assert outcomes == ["wrong"] * 4 + ["locked"]


def test_an_invented_forwarded_for_header_does_not_change_the_address(customer):
    for index in range(5):
        client = Client(REMOTE_ADDR=ATTACKER_ADDRESS, HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
        client.post(
            "/accounts/api/login/",
            {"username": customer.username, "password": "wrong"},
            content_type="application/json",
        )
    assert attempt("api", customer.username, PASSWORD, ATTACKER_ADDRESS) == "locked"


def test_a_lockout_says_so_with_retry_after_in_each_interface(customer):
    for _ in range(5):
        attempt("api", customer.username, "wrong", ATTACKER_ADDRESS)
    client = Client(REMOTE_ADDR=ATTACKER_ADDRESS)
    api = client.post(
        "/accounts/api/login/", {"username": customer.username, "password": PASSWORD}, content_type="application/json"
    )
    assert api.status_code == 429 and api["Retry-After"] == "900"
    assert set(api.json()) == {"error", "details"} and "Too many failed login attempts" in api.json()["error"]
    assert "_auth_user_id" not in client.session
    for path in ("/accounts/login/", "/admin/login/"):
        page = client.post(path, {"username": customer.username, "password": PASSWORD})
        assert page.status_code == 429 and page["Retry-After"] == "900"
        assert "Login temporarily blocked" in page.content.decode()


def test_admins_keep_a_record_of_every_failure_after_it_is_cleared(customer, admin_user):
    for _ in range(3):
        attempt("page", customer.username, "wrong", ATTACKER_ADDRESS)
    assert attempt("page", customer.username, PASSWORD, ATTACKER_ADDRESS) == "ok"

    assert not AccessAttempt.objects.filter(username=customer.username).exists()  # the count is cleared...
    kept = AccessFailureLog.objects.filter(username=customer.username, ip_address=ATTACKER_ADDRESS)
    assert kept.count() == 3  # ...the record is not
    site = AdminSiteClient()
    site.login(admin_user)
    page = site.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200 and ATTACKER_ADDRESS in page.content.decode()


def test_an_admin_can_unlock_an_account(customer):
    for _ in range(5):
        attempt("api", customer.username, "wrong", ATTACKER_ADDRESS)
    assert attempt("api", customer.username, PASSWORD, ATTACKER_ADDRESS) == "locked"

    call_command("axes_reset_username", customer.username)

    assert attempt("api", customer.username, PASSWORD, ATTACKER_ADDRESS) == "ok"
