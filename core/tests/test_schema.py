"""The OpenAPI schema covers the README's API, is valid, and describes the bodies the API really sends."""

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import jsonschema
import pytest
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.validation import validate_schema

from testing.factories import PASSWORD, ServiceRequestFactory

# Every path and method of the original README, plus what the issue adds (logout, csrf,
# editing one's own account, one tracked request).
CONTRACT = {
    "/accounts/api/register/": {"post"},
    "/accounts/api/login/": {"post"},
    "/accounts/api/logout/": {"post"},
    "/accounts/api/csrf/": {"get"},
    "/accounts/api/account/": {"get", "put", "patch"},
    "/api/submit/": {"post"},
    "/api/track/": {"get"},
    "/api/track/{request_id}/": {"get"},
    "/accounts/api/admin/users/": {"get"},
    "/accounts/api/admin/users/create/": {"post"},
    "/accounts/api/admin/users/{user_id}/": {"get", "put", "delete"},
    "/api/admin/requests/": {"get"},
    "/api/admin/requests/{request_id}/": {"get", "put", "delete"},
    # Issue 11: gas emergencies.
    "/api/emergencies/report/": {"post"},
    "/api/admin/emergencies/": {"get", "post"},
    "/api/admin/emergencies/{emergency_id}/": {"get"},
    "/api/engineer/emergencies/": {"get"},
    "/api/engineer/emergencies/{emergency_id}/": {"get"},
}
ERROR_REF = "#/components/schemas/Error"
HTTP_METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}
STRONG_PASSWORD = "Blue-Kettle-Harbour-42"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    """The schema as a client downloads it (it lists the catalogue's request types, from the database)."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def operations(schema: dict):
    for template, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield template, method, operation


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def to_json_schema(schema: dict, node):
    """Turn an OpenAPI 3.0 schema object into plain JSON Schema with every $ref inlined.

    `nullable: true` becomes "or null"; an object that lists its properties allows
    no others, so an undocumented field in a response is caught as well.
    """
    if isinstance(node, list):
        return [to_json_schema(schema, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(schema, resolve(schema, node))
    converted = {key: to_json_schema(schema, value) for key, value in node.items() if key != "nullable"}
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_matches_schema(schema: dict, method: str, template: str, response) -> None:
    """Validate a real response's JSON body against the schema of its operation and status code."""
    operation = schema["paths"][template][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method.upper()} {template} does not document status {response.status_code}"
    assert "application/json" in documented.get("content", {}), (
        f"{method.upper()} {template} {response.status_code} documents no JSON body, "
        f"but the API sends one: {response.content[:200]!r}"
    )
    assert response["Content-Type"].startswith("application/json")
    body_schema = to_json_schema(schema, documented["content"]["application/json"]["schema"])
    validator = jsonschema.Draft7Validator(body_schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(json.loads(response.content)), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method.upper()} {template} {response.status_code}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message[:300]}" for e in errors
    )


# --- The schema itself ---------------------------------------------------------------------


def test_schema_endpoint_serves_openapi_3_json(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Gas Utility Service API"


@pytest.mark.parametrize(("template", "methods"), sorted(CONTRACT.items()))
def test_schema_documents_every_readme_path_and_method(schema, template, methods):
    assert template in schema["paths"], f"{template} is missing from the schema"
    documented = set(schema["paths"][template]) & HTTP_METHODS
    assert methods <= documented, f"{template} lacks {sorted(methods - documented)}"


def test_schema_generates_without_warnings_or_errors_and_is_valid_openapi():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        generated = SchemaGenerator().get_schema(request=None, public=True)
    problems = [*GENERATOR_STATS._error_cache, *GENERATOR_STATS._warn_cache]
    GENERATOR_STATS.reset()

    assert not problems, "\n".join(problems)
    validate_schema(json.loads(OpenApiJsonRenderer().render(generated)))


FILE_DOWNLOADS = {"application/octet-stream", "text/csv", "image/jpeg", "image/png", "application/pdf"}


def test_every_success_is_documented_as_the_message_data_envelope(schema):
    problems = []
    for template, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if not code.startswith("2"):
                continue
            where = f"{method.upper()} {template} {code}"
            content = response.get("content", {})
            if content and set(content) <= FILE_DOWNLOADS:
                continue  # a file download (attachment, CSV export) is the file itself
            if "application/json" not in content:
                problems.append(f"{where}: no JSON body documented (the API sends {{message, data}})")
                continue
            body = resolve(schema, content["application/json"]["schema"])
            if not {"message", "data"} <= set(body.get("required", [])):
                problems.append(f"{where}: body does not require message and data")
                continue
            data = resolve(schema, body["properties"]["data"])
            if "message" in data.get("properties", {}):
                problems.append(f"{where}: `data` is itself an envelope (nested message/data)")
    assert not problems, "\n".join(problems)


def test_every_error_response_references_the_error_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "details"}
    assert error["properties"]["details"]["type"] == "object"

    problems = []
    for template, method, operation in operations(schema):
        codes = set(operation["responses"])
        missing = {"400", "401", "403", "404", "405", "500"} - codes
        if missing:
            problems.append(f"{method.upper()} {template}: undocumented {sorted(missing)}")
        for code, response in operation["responses"].items():
            if code[0] in "45":
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                if ref != ERROR_REF:
                    problems.append(f"{method.upper()} {template} {code}: not the Error component")
    assert not problems, "\n".join(problems)


# --- Real responses against the schema --------------------------------------------------------


def _register(c):
    payload = {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "name": "New Comer",
        "phone_number": "+44 20 7946 0958",
        "address": "1 Gas Street",
    }
    return "post", "/accounts/api/register/", 201, c.api.post("/accounts/api/register/", payload)


def _login(c):
    payload = {"username": c.customer.username, "password": PASSWORD}
    return "post", "/accounts/api/login/", 200, c.api.post("/accounts/api/login/", payload)


def _csrf(c):
    return "get", "/accounts/api/csrf/", 200, c.api.get("/accounts/api/csrf/")


def _account(c):
    return "get", "/accounts/api/account/", 200, c.customer_api.get("/accounts/api/account/")


def _account_update(c):
    response = c.customer_api.patch("/accounts/api/account/", {"name": "Carol Renamed"})
    return "patch", "/accounts/api/account/", 200, response


def _logout(c):
    return "post", "/accounts/api/logout/", 200, c.customer_api.post("/accounts/api/logout/")


def _submit(c):
    payload = {"type_of_request": "New Connection", "details": "Need new gas connection"}
    return "post", "/api/submit/", 201, c.customer_api.post("/api/submit/", payload)


def _track_list(c):
    return "get", "/api/track/", 200, c.customer_api.get("/api/track/")


def _track_detail(c):
    return "get", "/api/track/{request_id}/", 200, c.customer_api.get(f"/api/track/{c.service_request.pk}/")


def _request_types(c):
    return "get", "/api/request-types/", 200, c.api.get("/api/request-types/")


def _admin_requests_list(c):
    return "get", "/api/admin/requests/", 200, c.admin_api.get("/api/admin/requests/")


def _admin_request_detail(c):
    return (
        "get",
        "/api/admin/requests/{request_id}/",
        200,
        c.admin_api.get(f"/api/admin/requests/{c.service_request.pk}/"),
    )


def _admin_request_put(c):
    payload = {"status": "Resolved", "resolution_details": "Meter replaced"}
    response = c.admin_api.put(f"/api/admin/requests/{c.service_request.pk}/", payload)
    return "put", "/api/admin/requests/{request_id}/", 200, response


def _admin_request_delete(c):
    response = c.admin_api.delete(f"/api/admin/requests/{c.service_request.pk}/")
    return "delete", "/api/admin/requests/{request_id}/", 200, response


def _admin_users_list(c):
    return "get", "/accounts/api/admin/users/", 200, c.admin_api.get("/accounts/api/admin/users/")


def _admin_user_create(c):
    payload = {
        "username": "newagent",
        "email": "newagent@example.com",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "name": "New Agent",
        "phone_number": "1234567890",
        "address": "2 Gas Street",
        "role": "agent",
    }
    response = c.admin_api.post("/accounts/api/admin/users/create/", payload)
    return "post", "/accounts/api/admin/users/create/", 201, response


def _admin_user_put(c):
    payload = {"name": "Updated Name", "email": "updated@example.com"}
    response = c.admin_api.put(f"/accounts/api/admin/users/{c.customer.pk}/", payload)
    return "put", "/accounts/api/admin/users/{user_id}/", 200, response


def _admin_user_delete(c):
    response = c.admin_api.delete(f"/accounts/api/admin/users/{c.other_customer.pk}/")
    return "delete", "/accounts/api/admin/users/{user_id}/", 200, response


def _emergency_submit(c):
    payload = {"type_of_request": "Gas Leak", "details": "Smell of gas in the hall"}
    return "post", "/api/submit/", 201, c.customer_api.post("/api/submit/", payload)


def _track_cancel(c):
    url = f"/api/track/{c.service_request.pk}/cancel/"
    return "post", "/api/track/{request_id}/cancel/", 200, c.customer_api.post(url, {"reason": "No longer needed"})


def _track_comment(c):
    url = f"/api/track/{c.service_request.pk}/comments/"
    return "post", "/api/track/{request_id}/comments/", 201, c.customer_api.post(url, {"body": "Gate code 1234"})


def _admin_note(c):
    url = f"/api/admin/requests/{c.service_request.pk}/notes/"
    response = c.admin_api.post(url, {"body": "Parts ordered", "is_internal": True})
    return "post", "/api/admin/requests/{request_id}/notes/", 201, response


def _admin_request_assign(c):
    payload = {"priority": "High", "assignee": c.admin_user.pk, "status": "On Hold"}
    response = c.admin_api.patch(f"/api/admin/requests/{c.service_request.pk}/", payload)
    return "patch", "/api/admin/requests/{request_id}/", 200, response


def _admin_stats(c):
    return "get", "/api/admin/stats/", 200, c.admin_api.get("/api/admin/stats/")


# --- Emergencies and the Priority Services Register ------------------------------------------


def _emergency(c):
    """A report dispatched to the context's engineer, with a few steps recorded."""
    from emergencies import services as emergency_services
    from testing.factories import report

    emergency = report(reporter=c.customer)
    emergency_services.emergency_dispatch(acting_user=c.admin_user, emergency=emergency, engineer=c.engineer)
    emergency_services.emergency_record_step(acting_user=c.engineer, emergency=emergency, step="arrived")
    return emergency


def _emergency_report(c):
    payload = {"phone": "07700900123", "address": "1 Gas Street", "inside": False, "meter_off": None}
    return "post", "/api/emergencies/report/", 201, c.api.post("/api/emergencies/report/", payload)


def _emergency_report_invalid(c):
    return "post", "/api/emergencies/report/", 400, c.api.post("/api/emergencies/report/", {"inside": "perhaps"})


def _emergency_board(c):
    _emergency(c)
    return "get", "/api/admin/emergencies/", 200, c.admin_api.get("/api/admin/emergencies/")


def _emergency_phone_entry(c):
    from django.utils import timezone

    payload = {"received_at": timezone.now().isoformat(), "phone": "07700900123", "address": "2 Mill Lane"}
    return "post", "/api/admin/emergencies/", 201, c.admin_api.post("/api/admin/emergencies/", payload)


def _emergency_detail(c):
    emergency = _emergency(c)
    response = c.admin_api.get(f"/api/admin/emergencies/{emergency.pk}/")
    return "get", "/api/admin/emergencies/{emergency_id}/", 200, response


def _emergency_step(c):
    emergency = _emergency(c)
    response = c.admin_api.post(f"/api/admin/emergencies/{emergency.pk}/steps/", {"step": "made_safe"})
    return "post", "/api/admin/emergencies/{emergency_id}/steps/", 201, response


def _emergency_step_conflict(c):
    emergency = _emergency(c)
    response = c.admin_api.post(f"/api/admin/emergencies/{emergency.pk}/steps/", {"step": "cleared"})
    return "post", "/api/admin/emergencies/{emergency_id}/steps/", 409, response


def _engineer_list(c):
    _emergency(c)
    return "get", "/api/engineer/emergencies/", 200, c.engineer_api.get("/api/engineer/emergencies/")


def _engineer_detail(c):
    emergency = _emergency(c)
    response = c.engineer_api.get(f"/api/engineer/emergencies/{emergency.pk}/")
    return "get", "/api/engineer/emergencies/{emergency_id}/", 200, response


def _engineer_record(c):
    emergency = _emergency(c)
    url = f"/api/engineer/emergencies/{emergency.pk}/records/"
    response = c.engineer_api.post(url, {"kind": "advice", "body": "Keep the windows open"})
    return "post", "/api/engineer/emergencies/{emergency_id}/records/", 201, response


def _late_emergency(c):
    """Reported 1 March 2024 09:00 UTC, attended 75 minutes later, made safe after 13 hours, explained."""
    import time_machine

    from emergencies import services as emergency_services
    from testing.factories import report

    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        emergency = report(reporter=c.customer)
    with time_machine.travel(start + timedelta(minutes=75), tick=False):
        emergency_services.emergency_dispatch(acting_user=c.admin_user, emergency=emergency, engineer=c.engineer)
        emergency_services.emergency_record_step(acting_user=c.engineer, emergency=emergency, step="arrived")
    with time_machine.travel(start + timedelta(hours=13), tick=False):
        emergency_services.emergency_record_step(acting_user=c.engineer, emergency=emergency, step="made_safe")
        emergency_services.emergency_explain_miss(
            acting_user=c.admin_user, emergency=emergency, deadline="attendance", reason="Traffic"
        )
    return emergency


def _miss_reason(c):
    emergency = _late_emergency(c)
    url = f"/api/admin/emergencies/{emergency.pk}/miss-reasons/"
    response = c.admin_api.post(url, {"deadline": "make_safe", "reason": "Excavation needed"})
    return "post", "/api/admin/emergencies/{emergency_id}/miss-reasons/", 201, response


def _miss_reason_conflict(c):
    emergency = _emergency(c)  # attended at once
    url = f"/api/admin/emergencies/{emergency.pk}/miss-reasons/"
    response = c.admin_api.post(url, {"deadline": "attendance", "reason": "None needed"})
    return "post", "/api/admin/emergencies/{emergency_id}/miss-reasons/", 409, response


def _report(name, **period):
    def case(c):
        _late_emergency(c)
        response = c.admin_api.get(f"/api/admin/emergency-reports/{name}/", period)
        return "get", f"/api/admin/emergency-reports/{name}/", 200, response

    case.__name__ = f"_report_{name}_{'_'.join(period)}"
    return case


def _report_bad_period(c):
    response = c.admin_api.get("/api/admin/emergency-reports/daily-log/", {"date": "2024-02-30"})
    return "get", "/api/admin/emergency-reports/daily-log/", 400, response


def _priority_services_put(c):
    payload = {"categories": ["pensionable_age"], "consent": True}
    response = c.customer_api.put("/accounts/api/account/priority-services/", payload)
    return "put", "/accounts/api/account/priority-services/", 200, response


def _priority_services_get_none(c):
    response = c.customer_api.get("/accounts/api/account/priority-services/")
    return "get", "/accounts/api/account/priority-services/", 200, response


def _error_400(c):
    response = c.customer_api.post("/api/submit/", {"type_of_request": "Teleportation", "status": "Resolved"})
    return "post", "/api/submit/", 400, response


def _error_401(c):
    return "get", "/accounts/api/account/", 401, c.api.get("/accounts/api/account/")


def _error_403(c):
    return "get", "/api/admin/requests/", 403, c.customer_api.get("/api/admin/requests/")


def _error_404(c):
    return "get", "/api/track/{request_id}/", 404, c.other_customer_api.get(f"/api/track/{c.service_request.pk}/")


def _error_405(c):
    # GET is not an operation of /api/submit/: its 405 is checked against the path's POST.
    return "post", "/api/submit/", 405, c.customer_api.get("/api/submit/")


def _error_409(c):
    response = c.admin_api.delete(f"/accounts/api/admin/users/{c.customer.pk}/")
    return "delete", "/accounts/api/admin/users/{user_id}/", 409, response


def _error_415(c):
    response = c.customer_api.post("/api/submit/", "details=x", content_type="application/x-www-form-urlencoded")
    return "post", "/api/submit/", 415, response


CASES = [
    _register,
    _login,
    _csrf,
    _account,
    _account_update,
    _logout,
    _submit,
    _track_list,
    _track_detail,
    _request_types,
    _admin_requests_list,
    _admin_request_detail,
    _admin_request_put,
    _admin_request_delete,
    _admin_users_list,
    _admin_user_create,
    _admin_user_put,
    _admin_user_delete,
    _emergency_submit,
    _track_cancel,
    _track_comment,
    _admin_note,
    _admin_request_assign,
    _admin_stats,
    _emergency_report,
    _emergency_report_invalid,
    _emergency_board,
    _emergency_phone_entry,
    _emergency_detail,
    _emergency_step,
    _emergency_step_conflict,
    _engineer_list,
    _engineer_detail,
    _engineer_record,
    _miss_reason,
    _miss_reason_conflict,
    _report("standard-of-service", month="2024-03"),
    _report("standard-of-service", year="2024"),
    _report("daily-log", date="2024-03-01"),
    _report("monthly-summary", month="2024-03"),
    _report("review-and-make-safe", month="2024-03"),
    _report_bad_period,
    _priority_services_put,
    _priority_services_get_none,
    _error_400,
    _error_401,
    _error_403,
    _error_404,
    _error_405,
    _error_409,
    _error_415,
]


class Context:
    """The clients and data every case may use."""

    def __init__(self, request):
        names = (
            "api",
            "customer",
            "other_customer",
            "customer_api",
            "other_customer_api",
            "admin_user",
            "admin_api",
            "engineer",
            "engineer_api",
        )
        for name in names:
            setattr(self, name, request.getfixturevalue(name))
        self.service_request = ServiceRequestFactory(customer=self.customer)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__.lstrip("_"))
def test_real_response_matches_its_documented_schema(db, request, schema, case):
    method, template, expected_status, response = case(Context(request))

    assert response.status_code == expected_status, response.content
    assert_matches_schema(schema, method, template, response)


# --- Interactive docs ---------------------------------------------------------------------------


class _AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_docs_page_loads_only_local_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    collector = _AssetCollector()
    collector.feed(response.content.decode())
    assert collector.urls, "the page loads no scripts or styles"
    external = [u for u in collector.urls if not u.startswith("/static/")]
    assert not external, f"assets from outside the app: {external}"
    for asset in collector.urls:
        assert client.get(asset).status_code == 200, asset
