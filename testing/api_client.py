"""A JSON client with a cookie jar and the README's session + CSRF flow.

It goes through the same doors as a Postman user: it logs in with POST /accounts/api/login/,
keeps the session and csrftoken cookies, and sends the token in X-CSRFToken on unsafe
requests. CSRF checks are enforced.
"""

import json

from django.test import Client

from accounts.models import User
from testing.factories import PASSWORD


class ApiClient:
    """A JSON client with a cookie jar and the README's session + CSRF flow."""

    def __init__(self):
        self.client = Client(enforce_csrf_checks=True)
        self.user = None

    @property
    def csrf_token(self) -> str | None:
        cookie = self.client.cookies.get("csrftoken")
        return cookie.value if cookie else None

    def login(self, user: User, password: str = PASSWORD):
        response = self.post("/accounts/api/login/", {"username": user.username, "password": password})
        assert response.status_code == 200, response.content
        self.user = user
        return response

    def request(
        self, method: str, path: str, data=None, *, csrf: bool = True, content_type="application/json", **extra
    ):
        headers = dict(extra.pop("headers", {}))
        if csrf and self.csrf_token and method in {"post", "put", "patch", "delete"}:
            headers["X-CSRFToken"] = self.csrf_token
        body = json.dumps(data) if data is not None and content_type == "application/json" else data
        kwargs = {"headers": headers, **extra}
        if method == "get":
            return self.client.get(path, data, **kwargs)
        return getattr(self.client, method)(path, body or "", content_type=content_type, **kwargs)

    def get(self, path, params=None, **kw):
        return self.request("get", path, params, **kw)

    def post(self, path, data=None, **kw):
        return self.request("post", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self.request("put", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self.request("patch", path, data, **kw)

    def delete(self, path, **kw):
        return self.request("delete", path, None, **kw)
