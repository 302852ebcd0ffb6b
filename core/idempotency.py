"""Idempotency-Key for create endpoints: a retried request returns the first response.

A client that did not hear back (timeout, dropped connection) sends the same POST again
with the same Idempotency-Key header; it gets the first response (with
`Idempotent-Replayed: true`) and nothing new is stored. The key is scoped to the user.
The same key with a different body is a 422; while the first request still runs, a
retry is a 409. Failed requests (4xx, 5xx) are not kept: a retry runs again.
"""

import hashlib
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response

from core.exceptions import Conflict, ServiceError

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
# A claim still unanswered after this long belongs to a request that died (gunicorn's timeout is 30 s).
ABANDONED_AFTER = timedelta(minutes=2)


class KeyReused(ServiceError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = "This Idempotency-Key was already used for a different request. Use a new key."


def _fingerprint(request) -> str:
    """SHA-256 of the method, path, media type and the body's content.

    JSON bodies are hashed byte for byte. Multipart bodies are hashed by content, field by
    field and file by file in chunks (large uploads are read from their temporary files, not
    loaded into memory), so a retry with another boundary still matches, and the same
    fields with other file bytes do not.
    """
    digest = hashlib.sha256()
    media_type = request._request.content_type or ""  # without parameters such as the boundary
    for part in (request.method, request.path, media_type):
        digest.update(part.encode() + b"\0")
    if media_type != "multipart/form-data":
        digest.update(request.body)
        return digest.hexdigest()
    data = request.data
    for key in sorted(data):
        for value in data.getlist(key):
            digest.update(key.encode() + b"\0")
            if hasattr(value, "chunks"):
                digest.update(f"file:{value.name}:{value.size}\0".encode())
                for chunk in value.chunks():
                    digest.update(chunk)
                value.seek(0)
            else:
                digest.update(str(value).encode() + b"\0")
    return digest.hexdigest()


def idempotent(view_method):
    """Decorate a DRF view's post() so it honours the Idempotency-Key header."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 255 or not key.isprintable():
            raise ServiceError("Idempotency-Key must be at most 255 printable characters.")
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=request.user, key=key, fingerprint=fingerprint)
        except IntegrityError:
            record = IdempotencyKey.objects.get(user=request.user, key=key)
            if record.fingerprint != fingerprint:
                raise KeyReused() from None
            if record.status_code is None:
                if timezone.now() - record.created_at < ABANDONED_AFTER:
                    raise Conflict(
                        "A request with this Idempotency-Key is still being processed; retry shortly."
                    ) from None
                # The first attempt died mid-way (worker killed): its transaction rolled back, so run again.
                record.delete()
                return wrapper(self, request, *args, **kwargs)
            return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        try:
            response = view_method(self, request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        if status.is_success(response.status_code):
            record.status_code, record.response_body = response.status_code, response.data
            record.save(update_fields=["status_code", "response_body"])
        else:
            record.delete()
        return response

    return wrapper
