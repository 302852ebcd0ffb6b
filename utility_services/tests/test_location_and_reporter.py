"""Where a request is, how it reached us, and requests reported without an account.

A location (address, postcode, WGS84 position) travels with every request through the
API, the staff views, the CSV and the search. A request may have no customer account
(a passer-by's emergency report, an Open311 client): its contact details stand in
everywhere the customer's would be shown or emailed.
"""

import csv
import io

import pytest
from django.core import mail

from testing.assertions import error_details, success_data
from testing.marks import search_db
from utility_services import services
from utility_services.models import RequestType, ServiceRequest

pytestmark = pytest.mark.django_db

SUBMIT = "/api/submit/"


def submit(client, **fields):
    return client.post(SUBMIT, {"type_of_request": "Maintenance", "details": "Meter display is blank", **fields})


def test_a_request_is_located_at_the_customers_address_by_default(customer_api, customer):
    data = success_data(submit(customer_api), 201)
    assert data["address"] == customer.address
    assert data["latitude"] is None and data["longitude"] is None
    assert data["channel"] == "api"


def test_a_request_keeps_the_location_given(customer_api):
    data = success_data(
        submit(customer_api, address="Outside 14 Mill Lane", postcode="LS1 4AP", latitude=53.79, longitude=-1.54),
        201,
    )
    stored = ServiceRequest.objects.get(pk=data["id"])
    assert (stored.address, stored.postcode, stored.latitude, stored.longitude) == (
        "Outside 14 Mill Lane",
        "LS1 4AP",
        53.79,
        -1.54,
    )
    assert (data["latitude"], data["longitude"]) == (53.79, -1.54)


@pytest.mark.parametrize(
    ("position", "field"),
    [
        ({"latitude": 53.79}, "longitude"),
        ({"longitude": -1.54}, "latitude"),
        ({"latitude": 90.5, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": -180.01}, "longitude"),
        ({"latitude": "north", "longitude": 0}, "latitude"),
    ],
)
def test_half_a_position_or_one_off_the_globe_is_refused(customer_api, position, field):
    details = error_details(submit(customer_api, **position), 400)
    assert field in details
    assert not ServiceRequest.objects.exists()


@pytest.fixture
def anonymous_report(agent, django_capture_on_commit_callbacks):
    """A gas leak reported by a passer-by: no account, a phone number and a position."""
    with django_capture_on_commit_callbacks(execute=True):
        return services.service_request_submit(
            customer=None,
            request_type=RequestType.objects.get(name="Gas Leak"),
            details="Smell of gas at the bus stop",
            channel=ServiceRequest.Channel.PHONE,
            address="Bus stop, Kirkgate",
            postcode="LS2 7DJ",
            latitude=53.7965,
            longitude=-1.5366,
            contact_name="Pat Passer-by",
            contact_phone="+44 7700 900123",
        )


def test_a_report_without_an_account_is_stored_with_its_contact_and_alerts_oncall(anonymous_report):
    assert anonymous_report.customer is None
    assert anonymous_report.reporter_name == "Pat Passer-by"
    assert anonymous_report.reporter_phone == "+447700900123"
    (alert,) = mail.outbox
    assert "Pat Passer-by" in alert.subject
    assert "+447700900123" in alert.body and "Bus stop, Kirkgate" in alert.body and "53.7965" in alert.body


@search_db
def test_staff_see_a_report_without_an_account_in_the_queue_detail_and_search(agent_api, anonymous_report):
    (row,) = success_data(agent_api.get("/api/admin/requests/"))
    assert row["customer"] is None
    assert row["contact"] == {"name": "Pat Passer-by", "email": "", "phone": "+447700900123"}
    assert row["channel"] == "phone" and row["postcode"] == "LS2 7DJ"
    detail = success_data(agent_api.get(f"/api/admin/requests/{anonymous_report.pk}/"))
    assert detail["address"] == "Bus stop, Kirkgate"
    for query in ("kirkgate", "ls2", "passer"):
        found = success_data(agent_api.get("/api/admin/requests/", {"search": query}))
        assert [r["id"] for r in found] == [anonymous_report.pk], query


def test_staff_pages_show_a_report_without_an_account(agent, anonymous_report):
    from django.test import Client

    client = Client()
    client.force_login(agent)
    queue = client.get("/staff/").content.decode()
    assert "Pat Passer-by" in queue and "no account" in queue
    page = client.get(f"/staff/requests/{anonymous_report.pk}/").content.decode()
    assert "Bus stop, Kirkgate" in page and "+447700900123" in page and "Phone (entered by staff)" in page


def test_csv_has_the_location_and_keeps_negative_coordinates_numeric(agent_api, anonymous_report):
    response = agent_api.get("/api/admin/requests/export/")
    (record,) = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert record["customer_id"] == ""
    assert record["customer_name"] == "Pat Passer-by"
    # A leading + would start a spreadsheet formula: kept as text, like every such cell.
    assert record["contact_phone"] == "'+447700900123"
    assert (record["address"], record["postcode"]) == ("Bus stop, Kirkgate", "LS2 7DJ")
    assert (record["latitude"], record["longitude"]) == ("53.7965", "-1.5366")
    assert record["channel"] == "phone"


def test_a_status_change_is_emailed_to_the_contact_email_of_a_report_without_an_account(
    agent, django_capture_on_commit_callbacks
):
    report = services.service_request_submit(
        customer=None,
        request_type=RequestType.objects.get(name="Maintenance"),
        details="Streetlight-style gas lamp flickering",
        channel=ServiceRequest.Channel.OPEN311,
        contact_email="Reporter@Example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_update(acting_user=agent, service_request=report, status="In Progress")
    (email,) = mail.outbox
    assert email.to == ["reporter@example.org"]
    assert "Hello Anonymous reporter" in email.body
