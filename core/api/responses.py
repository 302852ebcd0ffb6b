"""The success envelope: ``{"message": "...", "data": ...}``."""

from rest_framework import status as http_status
from rest_framework.response import Response


def envelope(message: str, data=None, *, status: int = http_status.HTTP_200_OK, headers=None) -> Response:
    """Return a success response in the API's envelope."""
    return Response({"message": message, "data": data}, status=status, headers=headers)
