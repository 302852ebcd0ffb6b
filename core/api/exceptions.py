"""The one handler that renders every API failure, and the error envelope.

Every failure leaves the API as ``{"error": "...", "details": {...}}``: DRF's own
exceptions, Django's ``ValidationError``/``Http404``/``PermissionDenied`` raised in a
service, our ``ServiceError``s, database outages and anything unexpected.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, OperationalError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from core.exceptions import (
    Conflict,
    Forbidden,
    KeyReused,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    StaleVersion,
)

logger = logging.getLogger(__name__)


# How each kind of refusal reaches an API client; the nearest listed base class decides.
HTTP_STATUS: dict[type[ServiceError], int] = {
    ServiceError: status.HTTP_400_BAD_REQUEST,
    Conflict: status.HTTP_409_CONFLICT,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    PayloadTooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    StaleVersion: status.HTTP_412_PRECONDITION_FAILED,
    KeyReused: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


def http_status_of(exc: ServiceError) -> int:
    """The HTTP status of a service error: that of its nearest class in `HTTP_STATUS`."""
    return next(HTTP_STATUS[cls] for cls in type(exc).__mro__ if cls in HTTP_STATUS)


def error_body(message: str, details: dict | None = None) -> dict:
    """Return the error envelope."""
    return {"error": message, "details": details or {}}


def _validation_details(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _first_message(details: dict) -> str:
    """Summarise field errors in one readable sentence for the `error` key."""
    for field, messages in details.items():
        message = messages[0] if isinstance(messages, list) and messages else messages
        if isinstance(message, dict):
            return "Invalid input."
        if field == "non_field_errors":
            return str(message)
        return f"{field}: {message}"
    return "Invalid input."


def api_exception_handler(exc, context):
    """Render any exception raised in an API view as the error envelope."""
    headers = {}
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, MultiPartParserError | SuspiciousOperation):
        # Raised where Django reads a body itself (the CSRF check reads request.POST): a bad body is a 400.
        from core.api.parsers import multipart_error_message

        exc = drf_exceptions.ParseError(multipart_error_message(exc))

    if isinstance(exc, ServiceError):
        status_code, body = http_status_of(exc), error_body(exc.message, exc.details)
    elif isinstance(exc, drf_exceptions.ValidationError):
        details = _validation_details(exc.detail)
        status_code, body = exc.status_code, error_body(_first_message(details), details)
    elif isinstance(exc, drf_exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        status_code, body = exc.status_code, error_body(str(exc.detail))
    elif isinstance(exc, OperationalError):
        logger.error("Database unavailable: %s", type(exc).__name__)
        headers["Retry-After"] = "5"
        status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        body = error_body("The service is temporarily unavailable. Please retry shortly.")
    else:
        # Never leak a traceback or a raw database message to the client.
        view = context.get("view")
        logger.exception(
            "Unhandled %s in %s",
            "database error" if isinstance(exc, DatabaseError) else "error",
            type(view).__name__ if view else "view",
        )
        status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
        body = error_body("Internal server error. The failure has been logged.")

    set_rollback()
    return Response(body, status=status_code, headers=headers)
