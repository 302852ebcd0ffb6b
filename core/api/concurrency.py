"""Optimistic concurrency over HTTP: ETag out, If-Match in, 412 when the record moved on.

Detail responses carry the record's version (`core.concurrency`) as a strong ETag; a PUT or
PATCH with If-Match is applied only if the version is still the same when the service holds
the row's lock. Without If-Match the update still happens under the row lock.
"""

import re

from core.exceptions import StaleVersion

_ETAG = re.compile(r'^(?:W/)?"(?P<pk>[0-9]+)-(?P<version>[0-9]+)"$')


def expected_version(request, pk) -> int | None:
    """The version the client's If-Match names (None without one; 412 if it names another record)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    match = _ETAG.match(header)
    if match is None or int(match["pk"]) != int(pk):
        raise StaleVersion("If-Match does not name this record's current ETag.")
    return int(match["version"])
