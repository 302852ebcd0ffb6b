"""Errors of the service layer: a business rule refused an operation.

They know no HTTP. Services raise these; the API's handler (core/api/exceptions.py, its
`HTTP_STATUS` table) and the pages turn them into responses.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused an operation. It knows no HTTP: `core.api.exceptions` maps it.

    Pages show `message`; the API sends it in the error envelope with `details`, under the
    status `HTTP_STATUS` gives its class (400 for any class not listed).
    """

    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class Conflict(ServiceError):
    """The operation clashes with the current state of the resource."""

    default_message = "The request conflicts with the current state of the resource."


class Forbidden(ServiceError):
    """The caller may not do this, whatever the input."""

    default_message = "You do not have permission to perform this action."


class NotFound(ServiceError):
    """No such object, or not one the caller may reach (the two are never told apart)."""

    default_message = "Not found."


class PayloadTooLarge(ServiceError):
    default_message = "Request body too large."


class StaleVersion(ServiceError):
    """The record changed since the caller read it (optimistic concurrency, `core.concurrency`)."""

    default_message = (
        "The record was changed by someone else since you read it (If-Match no longer matches). "
        "Read it again, then repeat your change."
    )


class KeyReused(ServiceError):
    """An idempotency key came back with a different request (`core.api.idempotency`)."""

    default_message = "This Idempotency-Key was already used for a different request. Use a new key."
