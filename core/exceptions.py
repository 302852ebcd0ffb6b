"""Errors of the service layer: a business rule refused an operation.

Services raise these; the API's handler (core/api/exceptions.py) and the pages turn them
into responses.
"""

from __future__ import annotations

from rest_framework import status


class ServiceError(Exception):
    """A business rule refused an operation; carries the HTTP status it means."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class Conflict(ServiceError):
    """The operation clashes with the current state of the resource."""

    status_code = status.HTTP_409_CONFLICT
    default_message = "The request conflicts with the current state of the resource."


class Forbidden(ServiceError):
    """The caller may not do this, whatever the input."""

    status_code = status.HTTP_403_FORBIDDEN
    default_message = "You do not have permission to perform this action."


class NotFound(ServiceError):
    """No such object, or not one the caller may reach (the two are never told apart)."""

    status_code = status.HTTP_404_NOT_FOUND
    default_message = "Not found."
