"""Hostile bodies are a 4xx in the error envelope, never a 500 (each case once answered 500).

Each body goes through the real middleware, CSRF check and parsers, as the role that can
reach the view; none may change anything.
"""

import logging

import pytest
from django.test import Client

from core.api.renderers import JSONRenderer
from testing.factories import ServiceRequestFactory
from utility_services.models import RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db
BOUNDARY = "hostile"
JSON = "application/json"
NO_BOUNDARY = "multipart/form-data"


def multipart(parts: int, *, files: bool) -> bytes:
    disposition = 'name="files"; filename="f{i}.png"\r\nContent-Type: image/png' if files else 'name="field{i}"'
    body = "".join(
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; {disposition.format(i=index)}\r\n\r\nx\r\n"
        for index in range(parts)
    )
    return (body + f"--{BOUNDARY}--\r\n").encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
DEEP_LIST = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000

# (role, method, path, body, content type, expected status)
CASES = {
    "login-no-boundary": ("anonymous", "post", "/accounts/api/login/", "x", NO_BOUNDARY, 415),
    "login-deep-list": ("anonymous", "post", "/accounts/api/login/", DEEP_LIST, JSON, 400),
    "login-deep-object": ("anonymous", "post", "/accounts/api/login/", DEEP_OBJECT, JSON, 400),
    "login-surrogate-key": ("anonymous", "post", "/accounts/api/login/", '{"\\ud800": 1}', JSON, 400),
    "login-surrogate-value": (
        "anonymous",
        "post",
        "/accounts/api/login/",
        '{"username": "\\udfff", "password": "x"}',
        JSON,
        400,
    ),
    "login-huge-number": ("anonymous", "post", "/accounts/api/login/", '{"username": ' + "9" * 5000 + "}", JSON, 400),
    "login-bad-utf8": ("anonymous", "post", "/accounts/api/login/", b'{"username": "\xff"}', JSON, 400),
    "register-deep-list": ("anonymous", "post", "/accounts/api/register/", DEEP_LIST, JSON, 400),
    "register-surrogate-key": ("anonymous", "post", "/accounts/api/register/", '{"\\ud800x": 1}', JSON, 400),
    "submit-no-boundary": ("customer", "post", "/api/submit/", "x", NO_BOUNDARY, 400),
    "submit-empty-boundary": ("customer", "post", "/api/submit/", "x", "multipart/form-data; boundary=", 400),
    "submit-deep": ("customer", "post", "/api/submit/", DEEP_OBJECT, JSON, 400),
    "submit-surrogate-choice": (
        "customer",
        "post",
        "/api/submit/",
        '{"type_of_request": "\\ud800", "details": "x"}',
        JSON,
        400,
    ),
    "submit-surrogate-key": ("customer", "post", "/api/submit/", '{"\\udc00": "x"}', JSON, 400),
    "submit-too-many-fields": ("customer", "post", "/api/submit/", multipart(1200, files=False), MULTIPART, 400),
    "submit-too-many-files": ("customer", "post", "/api/submit/", multipart(120, files=True), MULTIPART, 400),
    "comment-no-boundary": ("customer", "post", "/api/track/{id}/comments/", "x", NO_BOUNDARY, 400),
    "comment-surrogate-key": ("customer", "post", "/api/track/{id}/comments/", '{"\\ud800": "x"}', JSON, 400),
    "cancel-deep": ("customer", "post", "/api/track/{id}/cancel/", DEEP_LIST, JSON, 400),
    "attach-no-boundary": ("customer", "post", "/api/track/{id}/attachments/", "x", NO_BOUNDARY, 400),
    "attach-too-many-files": (
        "customer",
        "post",
        "/api/track/{id}/attachments/",
        multipart(120, files=True),
        MULTIPART,
        400,
    ),
    "account-surrogate": ("customer", "patch", "/accounts/api/account/", '{"name": "\\ud800"}', JSON, 400),
    "account-no-boundary": ("customer", "patch", "/accounts/api/account/", "x", NO_BOUNDARY, 415),
    "staff-status-surrogate": ("agent", "patch", "/api/admin/requests/{id}/", '{"status": "\\ud800"}', JSON, 400),
    "staff-priority-surrogate": ("agent", "patch", "/api/admin/requests/{id}/", '{"priority": "\\ud800"}', JSON, 400),
    "staff-type-surrogate": (
        "agent",
        "patch",
        "/api/admin/requests/{id}/",
        '{"type_of_request": "\\ud800"}',
        JSON,
        400,
    ),
    "note-no-boundary": ("agent", "post", "/api/admin/requests/{id}/notes/", "x", NO_BOUNDARY, 400),
    "note-too-many-fields": (
        "agent",
        "post",
        "/api/admin/requests/{id}/attachments/",
        multipart(1200, files=False),
        MULTIPART,
        400,
    ),
    "admin-user-deep": ("admin", "post", "/accounts/api/admin/users/create/", DEEP_LIST, JSON, 400),
}


@pytest.fixture
def clients(api, customer_api, agent_api, admin_api):
    return {"anonymous": api, "customer": customer_api, "agent": agent_api, "admin": admin_api}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_body_is_a_4xx_envelope_and_changes_nothing(clients, customer, case, caplog):
    role, method, path, body, content_type, expected = CASES[case]
    mine = ServiceRequestFactory(customer=customer)
    client = clients[role]
    client.client.raise_request_exception = False
    before = (ServiceRequest.objects.count(), RequestEvent.objects.count())
    headers = {"X-CSRFToken": client.csrf_token} if client.csrf_token else {}

    with caplog.at_level(logging.ERROR):
        response = getattr(client.client, method)(
            path.format(id=mine.pk), body, content_type=content_type, headers=headers
        )

    assert response.status_code == expected, response.content[:300]
    body = response.json()
    assert set(body) == {"error", "details"} and body["error"]
    assert (ServiceRequest.objects.count(), RequestEvent.objects.count()) == before
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "body",
    [multipart(1200, files=False), multipart(120, files=True), b"x"],
    ids=["too-many-fields", "too-many-files", "no-boundary"],
)
def test_pages_answer_a_hostile_multipart_body_with_400(customer, body):
    page = Client(raise_request_exception=False)
    page.force_login(customer)
    mine = ServiceRequestFactory(customer=customer)
    content_type = NO_BOUNDARY if body == b"x" else MULTIPART
    assert page.post(f"/requests/{mine.pk}/", body, content_type=content_type).status_code == 400
    for path in ("/accounts/login/", "/accounts/register/", "/admin/login/"):
        anonymous = Client(raise_request_exception=False)
        assert anonymous.post(path, body, content_type=content_type).status_code == 400, path


def test_the_renderer_never_fails_on_text_it_echoes():
    rendered = JSONRenderer().render(
        {"error": "bad \ud800 key", "details": {"\udfff": ["This field cannot be set here."]}}
    )
    assert rendered.decode("utf-8").startswith('{"error":"bad ? key"')
