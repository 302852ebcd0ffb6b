"""HTTP caching of personal data: nothing shown to a logged-in user is stored by a cache."""

from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    """Every response to a logged-in user is `Cache-Control: private, no-store`.

    They carry personal data (accounts, requests, portal pages): no shared cache may keep
    them, and no browser may write them to disk. Public answers (the request-type
    catalogue, the home page to a visitor) keep their default caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
