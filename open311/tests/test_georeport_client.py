"""A real GeoReport v2 client (PyPI `georeport` 0.3.1) reads our endpoint from a live server, in JSON and XML.

The client cannot post (it never sends an api_key), so the request it reads is posted first
over plain HTTP, form-encoded, as a 311 app would.
"""

import pytest
import requests
from georeport import GeoReport

from open311 import services as open311_services
from testing.factories import UserFactory, seed_request_type_catalogue

FORMATS = ["json", "xml"]


@pytest.fixture
def endpoint(live_server, transactional_db):
    """The live endpoint with the seeded catalogue, and one located request with an answer posted to it."""
    seed_request_type_catalogue()
    admin = UserFactory(role="admin")
    _, key = open311_services.application_issue(acting_user=admin, name="Live client")
    root = f"{live_server.url}/open311/v2"
    response = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": key,
            "service_code": "meter-reading",
            "lat": "53.7965",
            "long": "-1.5366",
            "address_string": "14 Mill Lane, Leeds",
            "attribute[reading]": "04512",
            "description": "Reading for May",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return root, response.json()[0]["service_request_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_client_reads_services_and_a_definition(endpoint, fmt):
    root, _ = endpoint
    client = GeoReport(root, output_format=fmt)
    services = client.get_service_list()
    by_code = {service["service_code"]: service for service in services}
    assert by_code["gas-leak"]["service_name"] == "Gas Leak"
    assert str(by_code["meter-reading"]["metadata"]).lower() == "true"

    definition = client.get_service_definition("meter-reading")
    assert definition["service_code"] == "meter-reading"
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert attributes[0]["code"] == "reading"
    assert str(attributes[0]["required"]).lower() == "true"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_client_reads_requests_and_one_request(endpoint, fmt):
    root, reference = endpoint
    client = GeoReport(root, output_format=fmt)
    listed = client.get_service_requests(service_code="meter-reading", status="open")
    # xmltodict gives a dict for a single <request>, a list for several; the JSON is always a list.
    items = listed if isinstance(listed, list) else [listed]
    assert [item["service_request_id"] for item in items] == [reference]

    one = client.get_service_request(reference)
    assert one["service_request_id"] == reference
    assert one["status"] == "open"
    assert one["address"] == "14 Mill Lane, Leeds"
    assert float(one["lat"]) == 53.7965 and float(one["long"]) == -1.5366
    assert one["requested_datetime"].endswith("+00:00")

    by_ids = client.get_service_requests(service_request_id=reference)
    by_ids = by_ids if isinstance(by_ids, list) else [by_ids]
    assert by_ids[0]["service_code"] == "meter-reading"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_client_sees_http_errors_for_what_does_not_exist(endpoint, fmt):
    root, _ = endpoint
    client = GeoReport(root, output_format=fmt)
    with pytest.raises(requests.HTTPError) as failure:
        client.get_service_definition("no-such-service")
    assert failure.value.response.status_code == 404
