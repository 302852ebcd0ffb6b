"""Fixtures of the service-request tests; the real-browser ones are defined in testing/browser.py."""

import pytest

from accounts.models import User
from testing.browser import open_browser, playwright_driver, request_types  # noqa: F401
from testing.factories import ServiceRequestFactory, UserFactory
from testing.pages import logged_in


@pytest.fixture
def inactive_agent(db):
    return UserFactory(username="gone", name="Gone Agent", role=User.Role.AGENT, is_active=False)


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the emails) of whatever is done inside `with sent():`."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def customer_page(customer):
    return logged_in(customer)


@pytest.fixture
def agent_page(agent):
    return logged_in(agent)


@pytest.fixture
def mine(customer):
    return ServiceRequestFactory(customer=customer, details="The meter in the hall is ticking loudly")
