"""Operations: request ids, JSON logs without secrets, health checks, database outages."""

import json
import logging

import pytest
from django.db import OperationalError
from django.test import Client

from core.ops.observability import JsonFormatter
from testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(api):
    first, second = api.get("/api/request-types/"), api.get("/api/request-types/")
    assert len(first["X-Request-ID"]) >= 16
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [("trace-1234abcd", True), ("bad id with spaces", False), ("x" * 200, False), ("<script>", False)],
)
def test_a_sane_incoming_request_id_is_kept_and_others_replaced(api, sent, echoed):
    response = api.get("/api/request-types/", headers={"X-Request-ID": sent})
    assert (response["X-Request-ID"] == sent) is echoed


def test_log_lines_are_json_with_the_request_id_and_no_secrets(api, customer, caplog):
    caplog.set_level(logging.INFO)
    response = api.post("/accounts/api/login/", {"username": customer.username, "password": PASSWORD})
    assert response.status_code == 200
    session_id = api.client.cookies["sessionid"].value
    csrf_token = api.client.cookies["csrftoken"].value

    lines = [JsonFormatter().format(record) for record in caplog.records]
    access = [json.loads(line) for line in lines if '"gas_utility.access"' in line]
    assert access, "no access log line was written"
    assert access[-1]["request_id"] == response["X-Request-ID"]
    assert access[-1]["status"] == 200 and access[-1]["path"] == "/accounts/api/login/"
    everything = "\n".join(lines)
    for secret in (PASSWORD, session_id, csrf_token, response.json()["data"]["csrf_token"]):
        assert secret not in everything


def test_healthz_needs_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    assert client.get("/readyz").json() == {"status": "ready"}


def _database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("(2003, \"Can't connect to MySQL server on 'db.internal'\")")

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.cursor", refuse)


def test_readyz_is_503_with_retry_after_when_the_database_is_down(client, monkeypatch):
    _database_down(monkeypatch)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "db.internal" not in response.content.decode()


def test_an_outage_before_the_view_is_json_503_without_internals(customer, monkeypatch):
    """The session lookup fails in middleware, before DRF's handler could turn it into a 503."""
    client = Client(raise_request_exception=False)
    client.force_login(customer)
    _database_down(monkeypatch)

    response = client.get("/api/track/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert set(body) == {"error", "details"}
    assert "db.internal" not in response.content.decode()


def test_password_reset_tokens_never_reach_the_logs(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/accounts/password/reset/MQ/c4pz1u-0123456789abcdef0123456789abcdef/")
    lines = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "/accounts/password/reset/***/***/" in lines
    assert "0123456789abcdef" not in lines and "/MQ/" not in lines
