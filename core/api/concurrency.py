"""Optimistic concurrency over HTTP: ETag out, If-Match in, 412 when the record moved on.

A record's version is its `updated_at` in microseconds (for staff views of a service request,
its `staff_updated_at`, which internal changes move too). Detail responses carry it as a
strong ETag; a PUT or PATCH with If-Match is applied only if the version is still the
same when the service holds the row's lock, so two agents never silently overwrite
each other. Without If-Match the update still happens under the row lock.
"""

import re

from core.exceptions import StaleVersion

_ETAG = re.compile(r'^(?:W/)?"(?P<pk>[0-9]+)-(?P<version>[0-9]+)"$')


def version_of(obj, field: str = "updated_at") -> int:
    return int(getattr(obj, field).timestamp() * 1_000_000)


def etag_of(obj, field: str = "updated_at") -> str:
    return f'"{obj.pk}-{version_of(obj, field)}"'


def expected_version(request, pk) -> int | None:
    """The version the client's If-Match names (None without one; 412 if it names another record)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    match = _ETAG.match(header)
    if match is None or int(match["pk"]) != int(pk):
        raise StaleVersion("If-Match does not name this record's current ETag.")
    return int(match["version"])


def check_version(obj, expected: int | None, field: str = "updated_at") -> None:
    """Refuse the change if the (locked) record is no longer the version the client read."""
    if expected is not None and version_of(obj, field) != expected:
        raise StaleVersion(details={"current_etag": etag_of(obj, field)})
