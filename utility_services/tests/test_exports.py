"""CSV exports as jobs: past EXPORT_SYNC_MAX_ROWS a task builds the file; only its requester (or an admin)
downloads it; a task delivered twice builds it once; expired files are deleted."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import User
from testing.api_client import ApiClient
from testing.assertions import error_details, success_data
from testing.factories import ServiceRequestFactory, UserFactory
from utility_services import exports, tasks
from utility_services.models import ExportJob, ServiceRequest
from utility_services.reports import csv_rows

pytestmark = pytest.mark.django_db
EXPORT = "/api/admin/requests/export/"
EXPORTS = "/api/admin/requests/exports/"


def csv_of(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


@pytest.fixture
def requests_(customer):
    return [ServiceRequestFactory(customer=customer, details=f"Request {n}") for n in range(5)]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a commit would run (the export task, eagerly) for whatever is done inside `with committed():`."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_small_export_still_streams_at_once(agent_api, requests_, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 5

    response = agent_api.get(EXPORT)

    assert response.status_code == 200
    assert len(csv_of(response)) == 5
    assert not ExportJob.objects.exists()


def test_a_large_export_becomes_a_job_whose_file_has_every_row(agent_api, requests_, settings, committed):
    settings.EXPORT_SYNC_MAX_ROWS = 4

    with committed():
        response = agent_api.get(EXPORT, {"status": "Pending"})

    assert response.status_code == 202
    job = success_data(response, 202)
    assert response["Location"] == f"{EXPORTS}{job['id']}/"
    ready = success_data(agent_api.get(response["Location"]))
    assert ready["status"] == "ready" and ready["row_count"] == 5 and ready["query"] == "status=Pending"
    download = agent_api.get(ready["download_url"])
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download["Content-Disposition"].startswith("attachment;")
    assert sorted(row["reference"] for row in csv_of(download)) == sorted(r.reference for r in requests_)


def test_post_starts_an_export_with_the_queue_filters(agent_api, requests_, committed):
    requests_[0].status = "Cancelled"
    requests_[0].cancelled_at = timezone.now()
    requests_[0].save()

    with committed():
        job = success_data(agent_api.post(f"{EXPORTS}?status=Cancelled"), 202)

    rows = csv_of(agent_api.get(success_data(agent_api.get(f"{EXPORTS}{job['id']}/"))["download_url"]))
    assert [row["reference"] for row in rows] == [requests_[0].reference]


def test_invalid_filters_are_a_400_and_start_nothing(agent_api):
    response = agent_api.post(f"{EXPORTS}?status=Bogus")

    assert "status" in error_details(response, 400)
    assert not ExportJob.objects.exists()


def test_an_export_is_for_its_requester_and_admins_only(agent_api, admin_api, committed):
    with committed():
        job = success_data(agent_api.post(EXPORTS), 202)
    other = ApiClient()
    other.login(UserFactory(role=User.Role.AGENT))
    detail, download = f"{EXPORTS}{job['id']}/", f"{EXPORTS}{job['id']}/download/"

    assert other.get(detail).status_code == 404
    assert other.get(download).status_code == 404
    assert [item["id"] for item in success_data(other.get(EXPORTS))] == []
    assert admin_api.get(download).status_code == 200
    assert [item["id"] for item in success_data(agent_api.get(EXPORTS))] == [job["id"]]


def test_an_export_not_yet_built_cannot_be_downloaded(agent_api):
    job = success_data(agent_api.post(EXPORTS), 202)  # no commit: the task has not run

    response = agent_api.get(f"{EXPORTS}{job['id']}/download/")

    assert error_details(response, 409) == {"status": "pending"}


def test_a_build_task_delivered_twice_builds_once(agent, requests_):
    job = ExportJob.objects.create(requested_by=agent, expires_at=timezone.now() + timedelta(hours=1))

    assert tasks.build_export.delay(str(job.pk)).get() == "ready"
    assert tasks.build_export.delay(str(job.pk)).get() == "duplicate"
    job.refresh_from_db()
    assert job.row_count == 5


def test_a_stalled_export_is_started_again(agent, requests_):
    long_ago = timezone.now() - timedelta(hours=1)
    job = ExportJob.objects.create(
        requested_by=agent, status="running", started_at=long_ago, created_at=long_ago, expires_at=timezone.now()
    )

    assert tasks.restart_stalled_exports.delay().get() == 1

    job.refresh_from_db()
    assert job.status == "ready"


def test_expired_exports_and_their_files_are_deleted(agent, requests_):
    job = ExportJob.objects.create(requested_by=agent, expires_at=timezone.now() + timedelta(hours=1))
    exports.build(job.pk)
    job.refresh_from_db()
    name = job.file.name
    assert default_storage.exists(name)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert tasks.purge_expired_exports.delay().get() == 1

    assert not default_storage.exists(name)
    assert not ExportJob.objects.exists()


def test_the_csv_is_read_in_chunks_by_id_with_every_row_once(requests_, django_assert_num_queries):
    queryset = ServiceRequest.objects.for_staff()

    with django_assert_num_queries(3):  # chunks of 2: 2 + 2 + 1 rows
        lines = list(csv_rows(queryset, chunk_size=2))

    references = [line.split(",", 1)[0] for line in lines[1:]]
    assert references == [r.reference for r in sorted(requests_, key=lambda r: r.pk)]


def test_the_staff_console_starts_lists_and_downloads_exports(agent, committed):
    from django.test import Client

    ServiceRequestFactory(details="Console export")
    browser = Client()
    browser.force_login(agent)

    with committed():
        response = browser.post("/staff/exports/", {"query": "status=Pending"})

    assert (response.status_code, response["Location"]) == (302, "/staff/exports/")
    page = browser.get("/staff/exports/").content.decode()
    job = ExportJob.objects.get()
    assert "Ready to download" in page and f"/staff/exports/{job.pk}/download/" in page
    assert [row["details"] for row in csv_of(browser.get(f"/staff/exports/{job.pk}/download/"))] == ["Console export"]
    other = Client()
    other.force_login(UserFactory(role=User.Role.AGENT))
    assert other.get(f"/staff/exports/{job.pk}/download/").status_code == 404
