"""Record versions for optimistic concurrency: a change is applied only to the version its caller read.

A record's version is its `updated_at` in microseconds (for staff views of a service request,
its `staff_updated_at`, which internal changes move too); its ETag is `"<pk>-<version>"`. The
services call `check_version` while they hold the row's lock, so two agents never silently
overwrite each other. How a version travels over HTTP (ETag out, If-Match in) is
`core.api.concurrency`.
"""

from core.exceptions import StaleVersion


def version_of(obj, field: str = "updated_at") -> int:
    return int(getattr(obj, field).timestamp() * 1_000_000)


def etag_of(obj, field: str = "updated_at") -> str:
    return f'"{obj.pk}-{version_of(obj, field)}"'


def check_version(obj, expected: int | None, field: str = "updated_at") -> None:
    """Refuse the change if the (locked) record is no longer the version the client read."""
    if expected is not None and version_of(obj, field) != expected:
        raise StaleVersion(details={"current_etag": etag_of(obj, field)})
