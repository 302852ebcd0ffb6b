"""A browser-like client for the Django admin: logs in through the login form with its CSRF token."""

from django.test import Client

from testing.factories import PASSWORD


class AdminSiteClient:
    def __init__(self):
        self.client = Client(enforce_csrf_checks=True)

    def _token(self) -> str:
        return self.client.cookies["csrftoken"].value

    def login(self, user, password: str = PASSWORD):
        self.client.get("/admin/login/")
        return self.client.post(
            "/admin/login/?next=/admin/",
            {"username": user.username, "password": password, "csrfmiddlewaretoken": self._token()},
        )

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post_form(self, path, data):
        """Submit a form the way a browser does: fetch the page (for the token), then post."""
        self.client.get(path)
        return self.client.post(path, {**data, "csrfmiddlewaretoken": self._token()})
