"""Request ids and structured JSON logs.

Every request gets an id (the caller's X-Request-ID if it is a sane token, else a new
one), returned in the X-Request-ID header and attached to every log line written while
the request runs. Log lines are JSON objects; request bodies, cookies, passwords,
tokens and session ids are never logged.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Password-reset and email-confirmation links carry tokens that act for whoever holds them: never log them.
_SECRET_PATH = re.compile(r"(/password/reset/)[^/]+/[^/]+/")
_EMAIL_TOKEN_PATH = re.compile(r"(/email/confirm/)[^/]+/")


def loggable_path(path: str) -> str:
    return _EMAIL_TOKEN_PATH.sub(r"\1***/", _SECRET_PATH.sub(r"\1***/***/", path))


access_logger = logging.getLogger("gas_utility.access")


class RequestIdFilter(logging.Filter):
    """Attach the current request's id to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any extras."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in self._STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RequestIdMiddleware:
    """Give each request an id, return it as X-Request-ID, and write one access-log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            user = getattr(request, "user", None)
            path = loggable_path(request.path)
            access_logger.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            request_id_var.reset(token)
