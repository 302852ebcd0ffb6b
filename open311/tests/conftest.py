"""Fixtures for the Open311 tests: an application with its key, and a client that speaks plain HTTP forms."""

import pytest
from django.test import Client

from open311 import services as open311_services


class Open311Client:
    """Plain HTTP, as a 311 app would: GET with a query string, POST form-encoded, no cookies needed."""

    def __init__(self):
        self.client = Client(enforce_csrf_checks=True)

    def get(self, path, params=None, **extra):
        return self.client.get(f"/open311/v2/{path}", params or {}, **extra)

    def post(self, path, data, **extra):
        return self.client.post(f"/open311/v2/{path}", data, **extra)


@pytest.fixture
def open311():
    return Open311Client()


@pytest.fixture
def issued(admin_user):
    """An application and its key, as an admin issues them."""
    return open311_services.application_issue(acting_user=admin_user, name="City 311 app")


@pytest.fixture
def application(issued):
    return issued[0]


@pytest.fixture
def api_key(issued):
    return issued[1]
