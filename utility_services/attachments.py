"""Checking uploaded files: type from the content (never the name), size and count limits."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from core.exceptions import Conflict

from .models import Attachment

# Leading bytes ("magic numbers") of each accepted format.
_SIGNATURES = (
    (b"\xff\xd8\xff", Attachment.ContentType.JPEG),
    (b"\x89PNG\r\n\x1a\n", Attachment.ContentType.PNG),
    (b"%PDF-", Attachment.ContentType.PDF),
)


def detect_content_type(upload: UploadedFile) -> str | None:
    """Return the file's real type from its first bytes, or None if it is not accepted."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def validate_uploads(uploads: list[UploadedFile], *, existing: int = 0) -> list[str]:
    """Check every upload before anything is stored; return their content types.

    Raises one ValidationError listing every problem, so the user can fix them all at once.
    """
    limit, max_bytes = settings.ATTACHMENT_MAX_PER_REQUEST, settings.ATTACHMENT_MAX_BYTES
    errors = []
    if len(uploads) > limit:
        errors.append(f"A request can have at most {limit} attachments; you sent {len(uploads)}.")
    content_types = []
    for upload in uploads:
        content_type = detect_content_type(upload)
        content_types.append(content_type)
        if upload.size > max_bytes:
            errors.append(f"{upload.name} is {_megabytes(upload.size)}; the limit is {_megabytes(max_bytes)}.")
        elif upload.size == 0:
            errors.append(f"{upload.name} is empty.")
        elif content_type is None:
            errors.append(f"{upload.name} is not a JPEG, PNG or PDF file (checked from its content).")
    if errors:
        raise ValidationError({"files": errors})
    if existing + len(uploads) > limit:
        # Valid files, but the request is full: a conflict with its current state, not bad input.
        raise Conflict(
            f"A request can have at most {limit} attachments; it has {existing} and you sent {len(uploads)}.",
            details={"files": [f"At most {limit - existing} more file(s) can be attached to this request."]},
        )
    return content_types
