"""Idempotency-Key for create endpoints: a retried request returns the first response.

A client that did not hear back (timeout, dropped connection) sends the same POST again
with the same Idempotency-Key header; it gets the first response (with
`Idempotent-Replayed: true`) and nothing new is stored. The key is scoped to the user.
The same key with a different body is a 422. Failed requests (4xx, 5xx) are not kept: a
retry runs again.

The key is claimed in the same transaction as the work it guards: if the request fails
midway (the database goes away, the worker is killed), the claim rolls back with the work,
so a retry simply runs again. A retry that arrives while the first request still runs
waits on the claim's row lock, then replays the first response.
"""

import hashlib
from functools import wraps

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from core.exceptions import KeyReused, ServiceError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"


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
                record = IdempotencyKey.objects.filter(user=request.user, key=key).first()
                if record is not None and record.status_code is not None:
                    return _replay(record, fingerprint)
                if record is not None:  # claimed outside a transaction by an older version, then abandoned
                    record.delete()
                # A concurrent request with this key blocks here until the first one ends.
                record = IdempotencyKey.objects.create(user=request.user, key=key, fingerprint=fingerprint)
                response = view_method(self, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    record.status_code, record.response_body = response.status_code, response.data
                    record.save(update_fields=["status_code", "response_body"])
                else:
                    transaction.set_rollback(True)  # keep nothing of a failed request
                return response
        except IntegrityError:
            # Either a concurrent request with this key committed first (replay it), or the
            # view itself hit a constraint (no record: let it be handled as usual).
            record = IdempotencyKey.objects.filter(user=request.user, key=key, status_code__isnull=False).first()
            if record is None:
                raise
            return _replay(record, fingerprint)

    return wrapper


def _replay(record: IdempotencyKey, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise KeyReused()
    return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
