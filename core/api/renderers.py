"""The API's JSON renderer: never fails on the text it echoes back."""

from rest_framework import renderers

from core.api.parsers import has_lone_surrogate


def _replace_lone_surrogates(data):
    if isinstance(data, str):
        return data.encode("utf-8", "replace").decode("utf-8") if has_lone_surrogate(data) else data
    if isinstance(data, dict):
        return {_replace_lone_surrogates(key): _replace_lone_surrogates(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_replace_lone_surrogates(item) for item in data]
    return data


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer; text that is not valid Unicode (a lone surrogate) is shown as "?" instead of failing.

    The parsers refuse such text, so this is the last line: whatever a view echoes (an
    unknown field's name, a header) must not turn a 4xx into a 500.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(_replace_lone_surrogates(data), accepted_media_type, renderer_context)
