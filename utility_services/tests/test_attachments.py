"""Attachments through HTTP: upload (multipart), type from content, limits, downloads and who may see them.

POST /api/submit/ (multipart with `files`), POST /api/track/<id>/attachments/,
GET /api/track/<id>/attachments/<aid>/, and the staff twins under /api/admin/requests/<id>/.
"""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from testing.assertions import error_details, success_data
from testing.factories import ServiceRequestFactory
from testing.storage import stored_files
from utility_services.models import Attachment, RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db

SUBMIT = "/api/submit/"
STAFF_CLIENTS = ["agent_api", "admin_api"]

# Tiny files that start with each format's magic bytes; the rest is arbitrary binary,
# including CR/LF and NUL, so a download must return them byte for byte.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) + b"\r\n\x00\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(255, -1, -1)) + b"IEND\xaeB`\x82"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\r\ntrailer\n%%EOF\n"
GOOD_FILES = [("photo.jpg", JPEG, "image/jpeg"), ("meter.png", PNG, "image/png"), ("bill.pdf", PDF, "application/pdf")]
NOT_ACCEPTED = {
    "text": b"Just some words, not a photo at all.\n",
    "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,",
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00" + b"\x00" * 40,
    "jpeg-magic-not-at-start": b" \xff\xd8\xff\xe0 shifted by one byte",
    "html": b"<html><script>alert(1)</script></html>",
}


def track_url(request_id: int) -> str:
    return f"/api/track/{request_id}/"


def staff_url(request_id: int) -> str:
    return f"/api/admin/requests/{request_id}/"


def customer_upload_url(request_id: int) -> str:
    return f"{track_url(request_id)}attachments/"


def staff_upload_url(request_id: int) -> str:
    return f"{staff_url(request_id)}attachments/"


def upload(client, url: str, files, **fields):
    """POST multipart/form-data with `files` (and any other fields) through the client's session + CSRF."""
    headers = {"X-CSRFToken": client.csrf_token} if client.csrf_token else {}
    return client.client.post(url, {**fields, "files": files}, headers=headers)


def as_upload(name: str, content: bytes, declared_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=declared_type)


def good_uploads() -> list[SimpleUploadedFile]:
    return [as_upload(name, content, content_type) for name, content, content_type in GOOD_FILES]


def download_body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_download(response, content: bytes, content_type: str, filename: str):
    assert response.status_code == 200, getattr(response, "content", response)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert download_body(response) == content


@pytest.fixture(autouse=True)
def _empty_storage(fresh_storage):
    """A fresh, empty storage per test, so "nothing stored" can be checked."""


@pytest.fixture
def service_request(customer):
    return ServiceRequestFactory(customer=customer, details="Meter cupboard is damp")


def assert_nothing_stored(settings):
    assert stored_files() == []
    assert not Attachment.objects.exists()
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.ATTACHMENT).exists()


# --- uploading and downloading ------------------------------------------------------------


def test_customer_attaches_jpeg_png_and_pdf_at_submit_time(customer_api, settings):
    response = upload(customer_api, SUBMIT, good_uploads(), type_of_request="Maintenance", details="See photos")

    data = success_data(response, 201)
    service_request = ServiceRequest.objects.get()
    assert data["id"] == service_request.pk
    assert [(a["original_name"], a["content_type"], a["size"]) for a in data["attachments"]] == [
        (name, content_type, len(content)) for name, content, content_type in GOOD_FILES
    ]
    assert len(stored_files()) == 3
    detail = success_data(customer_api.get(track_url(service_request.pk)))
    assert detail["attachments"] == data["attachments"]
    for attachment, (name, content, content_type) in zip(detail["attachments"], GOOD_FILES, strict=True):
        assert attachment["url"] == f"{customer_upload_url(service_request.pk)}{attachment['id']}/"
        assert_download(customer_api.get(attachment["url"]), content, content_type, name)


@pytest.mark.parametrize(
    ("uploader", "url_of"), [("customer_api", customer_upload_url), *((c, staff_upload_url) for c in STAFF_CLIENTS)]
)
def test_customer_and_staff_attach_later_and_both_can_download(
    request, customer_api, agent_api, service_request, uploader, url_of
):
    client = request.getfixturevalue(uploader)

    created = success_data(upload(client, url_of(service_request.pk), good_uploads()), 201)

    assert [a["original_name"] for a in created] == [name for name, _, _ in GOOD_FILES]
    customer_view = success_data(customer_api.get(track_url(service_request.pk)))["attachments"]
    staff_view = success_data(agent_api.get(staff_url(service_request.pk)))["attachments"]
    assert [a["id"] for a in customer_view] == [a["id"] for a in staff_view] == [a["id"] for a in created]
    for mine, theirs, (name, content, content_type) in zip(customer_view, staff_view, GOOD_FILES, strict=True):
        assert mine["content_type"] == theirs["content_type"] == content_type
        assert mine["url"] == f"{customer_upload_url(service_request.pk)}{mine['id']}/"
        assert theirs["url"] == f"{staff_upload_url(service_request.pk)}{theirs['id']}/"
        assert_download(customer_api.get(mine["url"]), content, content_type, name)
        assert_download(agent_api.get(theirs["url"]), content, content_type, name)


def test_type_is_detected_from_content_not_from_the_name(customer_api, service_request):
    misnamed = as_upload("scan.pdf", PNG, declared_type="application/pdf")

    created = success_data(upload(customer_api, customer_upload_url(service_request.pk), [misnamed]), 201)

    assert created[0]["content_type"] == "image/png"
    assert Attachment.objects.get().content_type == "image/png"
    assert_download(customer_api.get(created[0]["url"]), PNG, "image/png", "scan.pdf")


def test_stored_file_name_is_not_the_customers_file_name(customer_api, service_request):
    upload(customer_api, customer_upload_url(service_request.pk), [as_upload("../../etc/my photo.jpg", JPEG)])

    stored = Attachment.objects.get()
    assert "my photo" not in stored.file.name
    assert ".." not in stored.file.name


# --- refused files: nothing stored -----------------------------------------------------------


def _submit(client, service_request, files):
    return upload(client, SUBMIT, files, type_of_request="Maintenance", details="With a file")


def _customer_attach(client, service_request, files):
    return upload(client, customer_upload_url(service_request.pk), files)


def _staff_attach(client, service_request, files):
    return upload(client, staff_upload_url(service_request.pk), files)


ROUTES = [
    pytest.param(_submit, "customer_api", id="submit"),
    pytest.param(_customer_attach, "customer_api", id="customer-attach"),
    pytest.param(_staff_attach, "agent_api", id="staff-attach"),
]


def assert_refused(response, settings, requests_before: int):
    details = error_details(response, 400)
    assert "files" in details
    assert details["files"]
    assert_nothing_stored(settings)
    assert ServiceRequest.objects.count() == requests_before


@pytest.mark.parametrize(("route", "client_fixture"), ROUTES)
@pytest.mark.parametrize("kind", NOT_ACCEPTED)
def test_file_that_is_not_jpeg_png_or_pdf_is_400_and_stores_nothing(
    request, settings, service_request, route, client_fixture, kind
):
    client = request.getfixturevalue(client_fixture)
    disguised = as_upload("photo.jpg", NOT_ACCEPTED[kind], declared_type="image/jpeg")

    assert_refused(route(client, service_request, [disguised]), settings, requests_before=1)


@pytest.mark.parametrize(("route", "client_fixture"), ROUTES)
def test_one_bad_file_among_good_ones_stores_none_of_them(request, settings, service_request, route, client_fixture):
    client = request.getfixturevalue(client_fixture)
    files = [as_upload("photo.jpg", JPEG), as_upload("invoice.pdf", NOT_ACCEPTED["exe"])]

    response = route(client, service_request, files)

    assert_refused(response, settings, requests_before=1)
    assert "invoice.pdf" in str(response.json()["details"]["files"])


@pytest.mark.parametrize(("route", "client_fixture"), ROUTES)
def test_empty_file_is_400_and_stores_nothing(request, settings, service_request, route, client_fixture):
    client = request.getfixturevalue(client_fixture)

    assert_refused(route(client, service_request, [as_upload("photo.jpg", b"")]), settings, requests_before=1)


@pytest.mark.parametrize(("route", "client_fixture"), ROUTES)
def test_file_over_the_size_limit_is_400_and_stores_nothing(request, settings, service_request, route, client_fixture):
    client = request.getfixturevalue(client_fixture)
    settings.ATTACHMENT_MAX_BYTES = len(PDF)

    assert_refused(route(client, service_request, [as_upload("big.pdf", PDF + b" ")]), settings, requests_before=1)


@pytest.mark.parametrize(("route", "client_fixture"), ROUTES)
def test_file_exactly_at_the_size_limit_is_accepted(request, settings, service_request, route, client_fixture):
    client = request.getfixturevalue(client_fixture)
    settings.ATTACHMENT_MAX_BYTES = len(PDF)

    assert route(client, service_request, [as_upload("fits.pdf", PDF)]).status_code == 201
    assert Attachment.objects.get().size == len(PDF)


def test_submit_with_more_files_than_the_limit_is_400_and_creates_nothing(customer_api, settings):
    settings.ATTACHMENT_MAX_PER_REQUEST = 2

    response = upload(customer_api, SUBMIT, good_uploads(), type_of_request="Maintenance", details="Three files")

    assert_refused(response, settings, requests_before=0)


@pytest.mark.parametrize(("route", "client_fixture"), ROUTES[1:])
def test_count_limit_counts_the_attachments_already_there(request, settings, service_request, route, client_fixture):
    client = request.getfixturevalue(client_fixture)
    settings.ATTACHMENT_MAX_PER_REQUEST = 2
    assert route(client, service_request, [as_upload("first.jpg", JPEG)]).status_code == 201

    refused = route(client, service_request, [as_upload("second.png", PNG), as_upload("third.pdf", PDF)])

    error_details(refused, 409)  # valid files, but the request is full: a conflict with its state
    assert "files" in refused.json()["details"]
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["first.jpg"]
    assert len(stored_files()) == 1
    assert route(client, service_request, [as_upload("second.png", PNG)]).status_code == 201
    assert Attachment.objects.count() == 2


# --- who may upload and download ---------------------------------------------------------------


@pytest.fixture
def attachment(customer_api, service_request):
    created = success_data(
        upload(customer_api, customer_upload_url(service_request.pk), [as_upload("a.png", PNG)]), 201
    )
    return Attachment.objects.get(pk=created[0]["id"])


def test_anonymous_gets_401_on_every_attachment_route(api, settings, attachment):
    request_id = attachment.service_request_id
    downloads = [
        f"{customer_upload_url(request_id)}{attachment.pk}/",
        f"{staff_upload_url(request_id)}{attachment.pk}/",
    ]
    uploads = [SUBMIT, customer_upload_url(request_id), staff_upload_url(request_id)]

    for url in downloads:
        error_details(api.get(url), 401)
    for url in uploads:
        error_details(upload(api, url, [as_upload("x.jpg", JPEG)], type_of_request="Other", details="x"), 401)
    assert Attachment.objects.count() == 1
    assert ServiceRequest.objects.count() == 1
    assert len(stored_files()) == 1


def test_other_customer_gets_404_on_download_and_upload(other_customer_api, settings, attachment):
    request_id = attachment.service_request_id

    error_details(other_customer_api.get(f"{customer_upload_url(request_id)}{attachment.pk}/"), 404)
    error_details(upload(other_customer_api, customer_upload_url(request_id), [as_upload("x.jpg", JPEG)]), 404)
    assert Attachment.objects.count() == 1
    assert len(stored_files()) == 1


def test_attachment_is_404_under_another_request_of_the_same_customer(customer_api, customer, attachment):
    another = ServiceRequestFactory(customer=customer)

    error_details(customer_api.get(f"{customer_upload_url(another.pk)}{attachment.pk}/"), 404)


def test_customer_cannot_use_the_staff_attachment_urls(customer_api, settings, attachment):
    request_id = attachment.service_request_id

    error_details(customer_api.get(f"{staff_upload_url(request_id)}{attachment.pk}/"), 403)
    error_details(upload(customer_api, staff_upload_url(request_id), [as_upload("x.jpg", JPEG)]), 403)
    assert Attachment.objects.count() == 1
    assert len(stored_files()) == 1


@pytest.mark.parametrize("client_fixture", STAFF_CLIENTS)
def test_staff_download_any_customers_attachment(request, client_fixture, attachment):
    client = request.getfixturevalue(client_fixture)

    response = client.get(f"{staff_upload_url(attachment.service_request_id)}{attachment.pk}/")

    assert_download(response, PNG, "image/png", "a.png")


@pytest.mark.parametrize("client_fixture", ["api", "customer_api", "agent_api"])
def test_files_are_not_served_from_any_public_url(request, settings, client_fixture, attachment):
    client = request.getfixturevalue(client_fixture)
    name = attachment.file.name
    with default_storage.open(name) as stored:
        assert stored.read() == PNG  # the file is there...

    for url in {f"/media/{name}", f"/{name}", f"/static/{name}", "/" + (settings.MEDIA_URL + name).lstrip("/")}:
        assert client.get(url).status_code == 404, url  # ...but no URL serves it


# --- closed and cancelled requests --------------------------------------------------------------


def _in_status(customer, status: str) -> ServiceRequest:
    now = timezone.now()
    stamps = {
        "Resolved": {"resolved_at": now},
        "Closed": {"resolved_at": now, "closed_at": now},
        "Cancelled": {"cancelled_at": now},
    }
    return ServiceRequestFactory(customer=customer, status=status, **stamps.get(status, {}))


@pytest.mark.parametrize("status", ["Closed", "Cancelled"])
def test_customer_cannot_attach_to_a_closed_or_cancelled_request(customer_api, customer, settings, status):
    service_request = _in_status(customer, status)

    details = error_details(
        upload(customer_api, customer_upload_url(service_request.pk), [as_upload("x.jpg", JPEG)]), 409
    )

    assert details["status"] == status
    assert_nothing_stored(settings)


@pytest.mark.parametrize("status", ["Pending", "In Progress", "On Hold", "Resolved"])
def test_customer_can_attach_while_the_request_is_not_closed_or_cancelled(customer_api, customer, status):
    service_request = _in_status(customer, status)

    assert upload(customer_api, customer_upload_url(service_request.pk), [as_upload("x.jpg", JPEG)]).status_code == 201


@pytest.mark.parametrize("client_fixture", STAFF_CLIENTS)
@pytest.mark.parametrize("status", ["Closed", "Cancelled"])
def test_staff_can_attach_to_a_closed_or_cancelled_request(request, customer, client_fixture, status):
    client = request.getfixturevalue(client_fixture)
    service_request = _in_status(customer, status)

    created = success_data(upload(client, staff_upload_url(service_request.pk), [as_upload("report.pdf", PDF)]), 201)

    assert [a["original_name"] for a in created] == ["report.pdf"]
    service_request.refresh_from_db()
    assert service_request.status == status


# --- the timeline --------------------------------------------------------------------------------


def test_attachments_appear_on_the_customer_and_staff_timelines(customer_api, agent_api, agent, customer):
    submitted = success_data(
        upload(customer_api, SUBMIT, [as_upload("leak.jpg", JPEG)], type_of_request="Maintenance", details="Pipe"), 201
    )
    request_id = submitted["id"]
    upload(customer_api, customer_upload_url(request_id), [as_upload("later.png", PNG)])
    upload(agent_api, staff_upload_url(request_id), [as_upload("engineer-report.pdf", PDF)])
    expected = [
        (customer.name, "leak.jpg"),
        (customer.name, "later.png"),
        (agent.name, "engineer-report.pdf"),
    ]

    for timeline in (
        success_data(customer_api.get(track_url(request_id)))["timeline"],
        success_data(agent_api.get(staff_url(request_id)))["timeline"],
    ):
        assert timeline[0]["kind"] == "submitted"
        assert [(e["actor"], e["new_value"]) for e in timeline if e["kind"] == "attachment"] == expected


def test_refused_upload_adds_nothing_to_the_timeline(customer_api, service_request):
    before = success_data(customer_api.get(track_url(service_request.pk)))["timeline"]

    upload(customer_api, customer_upload_url(service_request.pk), [as_upload("x.jpg", NOT_ACCEPTED["text"])])

    assert success_data(customer_api.get(track_url(service_request.pk)))["timeline"] == before


# --- moved from test_hardening.py (rules found in review) ---------------------------------------
QUEUE = "/api/admin/requests/"


def _upload(client, url, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"files": [SimpleUploadedFile("engineer.png", PNG, "image/png")], **fields}
    return client.client.post(url, data, headers={"X-CSRFToken": client.csrf_token})


def test_an_internal_staff_attachment_never_reaches_the_customer(agent_api, customer_api, customer):
    request = ServiceRequestFactory(customer=customer)
    response = _upload(agent_api, f"{QUEUE}{request.pk}/attachments/", is_internal="true")
    assert response.status_code == 201, response.content
    attachment = response.json()["data"][0]
    assert attachment["is_internal"] is True

    detail = customer_api.get(f"/api/track/{request.pk}/").json()["data"]
    assert detail["attachments"] == []
    assert all(event["kind"] != "attachment" for event in detail["timeline"])
    download = customer_api.get(f"/api/track/{request.pk}/attachments/{attachment['id']}/")
    assert download.status_code == 404
    staff_detail = agent_api.get(f"{QUEUE}{request.pk}/").json()["data"]
    assert [item["id"] for item in staff_detail["attachments"]] == [attachment["id"]]


def test_a_customer_cannot_mark_an_attachment_internal(customer_api, customer):
    request = ServiceRequestFactory(customer=customer)
    response = _upload(customer_api, f"/api/track/{request.pk}/attachments/", is_internal="true")
    assert response.status_code == 400
    assert "is_internal" in response.json()["details"]
