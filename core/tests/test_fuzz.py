"""Contract fuzzing: schemathesis generates requests from our own OpenAPI schema.

Every operation, as each role, with a fixed example budget: no response may be a
server error, and every response must match the schema (status code, content type,
headers, body). Requests go through the real WSGI application with a real session
cookie and CSRF token for the role.
"""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings

from gas_utility.wsgi import application
from testing.factories import ServiceRequestFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
EXAMPLES_PER_OPERATION = 15
ROLES = ["anonymous", "customer", "agent", "admin", "engineer"]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Django's test client stops requests from closing the database connection; do the same here.

    Schemathesis calls the WSGI application directly, whose request signals would close the
    connection (and with it the test's transaction) on MariaDB with persistent connections.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _headers_for(role: str) -> dict:
    """A real session for `role`, and a CSRF cookie with the matching header."""
    token = get_random_string(32)
    cookies = [f"csrftoken={token}"]
    if role != "anonymous":
        user = UserFactory(role=role if role != "customer" else get_user_model().Role.CUSTOMER)
        ServiceRequestFactory(customer=user)
        client = Client()
        client.force_login(user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")
    return {"Cookie": "; ".join(cookies), "X-CSRFToken": token}


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_no_server_error_and_every_response_matches_the_schema(case, role):
    case.call_and_validate(headers=_headers_for(role))
