"""Helpers for the page tests: URLs, logged-in page clients, what a page lists, the timeline and emails."""

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from testing.page_client import REFERENCE, Page, PageClient
from utility_services.models import RequestEvent, RequestType

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
SECRET = "INTERNAL-ONLY: valve code 4471, customer was rude"
PUBLIC_NOTE = "An engineer will visit on Tuesday morning"
OPEN = ["Pending", "In Progress", "On Hold"]


def portal_url(service_request) -> str:
    return f"/requests/{service_request.pk}/"


def staff_url(service_request) -> str:
    return f"/staff/requests/{service_request.pk}/"


def type_id(name: str) -> int:
    return RequestType.objects.get(name=name).pk


def png(name: str = "meter.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def logged_in(user) -> PageClient:
    client = PageClient()
    client.login(user)
    return client


def timeline(service_request) -> list[tuple]:
    """The request's events as comparable rows (what the API and the pages must both write)."""
    return list(
        RequestEvent.objects.filter(service_request=service_request)
        .order_by("id")
        .values_list("kind", "actor_id", "actor_name", "is_internal", "field", "old_value", "new_value", "body")
    )


def emails(reference: str) -> list[tuple]:
    """The outbox with the request reference blanked, so two twin requests' emails compare equal."""
    return [
        (email.to, email.subject.replace(reference, "REF"), email.body.replace(reference, "REF"))
        for email in mail.outbox
        if reference in email.subject
    ]


def rows(page: Page) -> list[str]:
    """The references listed in a page's table, top to bottom."""
    table = page.doc.find("tbody")
    return [] if table is None else [REFERENCE.search(tr.text()).group(0) for tr in table.find_all("tr")]


def with_files(data: dict) -> dict:
    """A form's data with each `...files` value turned into an uploaded PNG of that name."""
    return {key: [png(value)] if key.endswith("files") else value for key, value in data.items()}
