"""Files written in a transaction that rolls back are deleted, wherever the rollback happens."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.client import MULTIPART_CONTENT

from testing.factories import ServiceRequestFactory
from testing.storage import stored_files
from utility_services import notifications, services
from utility_services.models import Attachment, RequestType

PNG = b"\x89PNG\r\n\x1a\n-test-"


@pytest.fixture(autouse=True)
def _empty_storage(fresh_storage):
    """A fresh, empty storage per test."""


def uploads(count=2):
    return [SimpleUploadedFile(f"photo{index}.png", PNG) for index in range(count)]


@pytest.mark.django_db
def test_a_service_that_fails_after_writing_its_files_leaves_none(customer, monkeypatch):
    def mail_server_crash(service_request):
        assert len(stored_files()) == 2  # written, then the transaction fails
        raise RuntimeError("boom")

    monkeypatch.setattr(notifications, "notify_oncall_of_emergency", mail_server_crash)
    with pytest.raises(RuntimeError):
        services.service_request_submit(
            customer=customer, request_type=RequestType.objects.get(name="Gas Leak"), details="Smell", files=uploads()
        )
    assert stored_files() == []


@pytest.mark.django_db
def test_a_callers_transaction_that_rolls_back_after_the_service_returned_takes_the_files(customer):
    mine = ServiceRequestFactory(customer=customer)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.service_request_attach(acting_user=customer, service_request=mine, files=uploads())
        assert len(stored_files()) == 2
        raise RuntimeError("the caller's next step failed")
    assert stored_files() == []
    assert not Attachment.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("request_type_catalogue")  # a transactional test starts from a flushed database
def test_committed_files_stay(customer_api):
    response = customer_api.post(
        "/api/submit/",
        {"type_of_request": "Maintenance", "details": "Meter photo", "files": uploads(1)},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 201, response.content
    (stored,) = stored_files()
    with default_storage.open(stored) as file:
        assert file.read() == PNG
    assert Attachment.objects.get().file.name == stored
