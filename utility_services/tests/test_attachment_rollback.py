"""Files written in a transaction that rolls back are deleted, wherever the rollback happens."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.client import MULTIPART_CONTENT

from utility_services import notifications, services
from utility_services.models import Attachment, RequestType
from utility_services.tests.factories import ServiceRequestFactory

PNG = b"\x89PNG\r\n\x1a\n-test-"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def files_on_disk(media_root) -> list[Path]:
    return [path for path in media_root.rglob("*") if path.is_file()]


def uploads(count=2):
    return [SimpleUploadedFile(f"photo{index}.png", PNG) for index in range(count)]


@pytest.mark.django_db
def test_a_service_that_fails_after_writing_its_files_leaves_none(customer, media_root, monkeypatch):
    def mail_server_crash(service_request):
        assert len(files_on_disk(media_root)) == 2  # written, then the transaction fails
        raise RuntimeError("boom")

    monkeypatch.setattr(notifications, "notify_oncall_of_emergency", mail_server_crash)
    with pytest.raises(RuntimeError):
        services.service_request_submit(
            customer=customer, request_type=RequestType.objects.get(name="Gas Leak"), details="Smell", files=uploads()
        )
    assert files_on_disk(media_root) == []


@pytest.mark.django_db
def test_a_callers_transaction_that_rolls_back_after_the_service_returned_takes_the_files(customer, media_root):
    mine = ServiceRequestFactory(customer=customer)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.service_request_attach(acting_user=customer, service_request=mine, files=uploads())
        assert len(files_on_disk(media_root)) == 2
        raise RuntimeError("the caller's next step failed")
    assert files_on_disk(media_root) == []
    assert not Attachment.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("request_type_catalogue")  # a transactional test starts from a flushed database
def test_committed_files_stay(customer_api, media_root):
    response = customer_api.post(
        "/api/submit/",
        {"type_of_request": "Maintenance", "details": "Meter photo", "files": uploads(1)},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 201, response.content
    (stored,) = files_on_disk(media_root)
    assert stored.read_bytes() == PNG
    assert Attachment.objects.get().file.name.endswith(stored.name)
