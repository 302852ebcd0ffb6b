"""The API's JSON renderer: fast (orjson), and never fails on the text it echoes back."""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

from core.api.parsers import has_lone_surrogate

# Compact, UTF-8, "Z" for UTC, and int keys written as strings, as DRF's renderer writes them.
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


def _replace_lone_surrogates(data):
    if isinstance(data, str):
        return data.encode("utf-8", "replace").decode("utf-8") if has_lone_surrogate(data) else data
    if isinstance(data, dict):
        return {_replace_lone_surrogates(key): _replace_lone_surrogates(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_replace_lone_surrogates(item) for item in data]
    return data


def _default(obj):
    """What orjson does not know (lazy translations, Decimals, querysets...): as DRF's encoder writes it."""
    return _DRF_ENCODER.default(obj)


_DRF_ENCODER = JSONEncoder()


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON, written by orjson; text that is not valid Unicode (a lone surrogate) is shown as "?".

    orjson is some ten times faster than the standard library on our lists. It writes what DRF's
    renderer writes (compact, UTF-8, datetimes with "Z", U+2028 and U+2029 escaped so the output
    stays a JavaScript subset); anything it cannot write the same way (pretty-printing asked for
    with `; indent=`, integers beyond 64 bits, lone surrogates) goes through DRF's renderer instead.

    The parsers refuse lone surrogates, so this is the last line: whatever a view echoes (an
    unknown field's name, a header) must not turn a 4xx into a 500.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is None:
            try:
                rendered = orjson.dumps(data, default=_default, option=_OPTIONS)
            except orjson.JSONEncodeError:
                pass  # DRF's renderer below says it the same way, or replaces the surrogates
            else:
                if _LINE_SEPARATOR in rendered or _PARAGRAPH_SEPARATOR in rendered:
                    rendered = rendered.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
                return rendered
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(_replace_lone_surrogates(data), accepted_media_type, renderer_context)
