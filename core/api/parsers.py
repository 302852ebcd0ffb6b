"""Request parsers of the API: DRF's, refusing what the rest of the stack cannot handle.

Bad input is a 400 in the error envelope, never a 500: JSON nested deeper than
MAX_JSON_DEPTH (Python's parser would hit its recursion limit), strings holding lone
surrogates ("\\ud800": valid JSON, but not text, so they cannot be stored or echoed back),
and malformed multipart bodies (no boundary, too many parts).
"""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json_value(data, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse nesting deeper than `max_depth` and any key or string that is not valid Unicode."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise ParseError(f"JSON parse error - the body is nested more than {max_depth} levels deep.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and has_lone_surrogate(key):
                    raise ParseError("JSON parse error - a key is not valid Unicode (it holds a lone surrogate).")
                stack.append((item, depth + 1))
        elif isinstance(value, str) and has_lone_surrogate(value):
            raise ParseError("JSON parse error - a string is not valid Unicode (it holds a lone surrogate).")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - the body is nested more than {MAX_JSON_DEPTH} levels deep.") from None
        check_json_value(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except (MultiPartParserError, SuspiciousOperation) as exc:
            raise ParseError(multipart_error_message(exc)) from None


def multipart_error_message(exc: Exception) -> str:
    """Say what was wrong with a multipart body, in our words (never echoing its content)."""
    name = type(exc).__name__
    if name == "TooManyFieldsSent":
        return f"Too many fields in one request: the limit is {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}."
    if name == "TooManyFilesSent":
        return f"Too many files in one request: the limit is {settings.DATA_UPLOAD_MAX_NUMBER_FILES}."
    if isinstance(exc, MultiPartParserError):
        return "Malformed multipart/form-data body (check the boundary in the Content-Type header)."
    return "The request body could not be read."
