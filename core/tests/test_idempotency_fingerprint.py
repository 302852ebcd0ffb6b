"""The Idempotency-Key fingerprint covers the body's content, uploads included."""

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test.client import encode_multipart

from core.models import IdempotencyKey
from utility_services.models import Attachment, ServiceRequest

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n"


def submit(client, photo: bytes, *, boundary="first-boundary", key="photo-1"):
    body = encode_multipart(
        boundary,
        {"type_of_request": "Maintenance", "details": "Meter photo", "files": SimpleUploadedFile("m.png", photo)},
    )
    return client.post(
        "/api/submit/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Idempotency-Key": key},
    )


def test_the_same_fields_with_other_file_bytes_are_a_different_request(customer_api):
    assert submit(customer_api, PNG + b"a" * 100).status_code == 201
    response = submit(customer_api, PNG + b"b" * 100)  # same name, same size, other bytes
    assert response.status_code == 422, response.content
    assert ServiceRequest.objects.count() == 1


def test_a_retry_with_another_boundary_is_the_same_request(customer_api):
    first = submit(customer_api, PNG + b"a" * 100)
    retry = submit(customer_api, PNG + b"a" * 100, boundary="the-retry-boundary")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry["Idempotent-Replayed"] == "true" and retry.json() == first.json()
    assert ServiceRequest.objects.count() == Attachment.objects.count() == 1


def test_large_uploads_are_hashed_from_their_files_not_from_the_raw_body(customer_api, monkeypatch, settings):
    """The raw body (up to 50 MB of uploads) is never read into memory to be hashed."""
    real_body = HttpRequest.body

    def body(request):
        value = real_body.fget(request)  # refuses (RawPostDataException) once the stream was parsed
        assert request.content_type != "multipart/form-data", "the multipart body was read whole"
        return value

    monkeypatch.setattr(HttpRequest, "body", property(body))
    photo = PNG + b"x" * (settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1)  # goes to a temporary file
    first = submit(customer_api, photo)
    retry = submit(customer_api, photo, boundary="another")
    assert (first.status_code, retry.status_code) == (201, 201), first.content
    assert retry["Idempotent-Replayed"] == "true"
    other = submit(customer_api, photo[:-1] + b"y")
    assert other.status_code == 422


# --- moved from test_hardening.py (rules found in review) ---------------------------------------


def test_an_abandoned_idempotency_claim_is_run_again(customer_api, customer):
    """A first attempt whose worker died left its claim unanswered: a retry runs."""
    payload = {"type_of_request": "Maintenance", "details": "Meter check"}
    body = json.dumps(payload).encode()
    fingerprint = hashlib.sha256(b"POST\0/api/submit/\0application/json\0" + body).hexdigest()
    # A committed claim without an answer: left by a request that died before the claim moved
    # into the request's own transaction. Nothing of its work was kept, so the retry runs.
    IdempotencyKey.objects.create(user=customer, key="retry-1", fingerprint=fingerprint)

    response = customer_api.post("/api/submit/", payload, headers={"Idempotency-Key": "retry-1"})

    assert response.status_code == 201, response.content
    assert ServiceRequest.objects.filter(customer=customer).count() == 1
    assert IdempotencyKey.objects.get(user=customer, key="retry-1").status_code == 201
