"""Open311 GeoReport v2 under /open311/v2/, in XML and JSON, plus mySociety's servicerequestupdates.

Views parse the spec's parameters, call one service or one read, and render the document.
Every failure is the spec's error list with the status the spec assigns: 403 for a
missing, unknown or revoked api_key, 404 for what does not exist (a service, a request,
a token, a jurisdiction), 400 for everything else wrong with the input (several errors
at once). Two more HTTP answers: 405 for a method a route does not take, 429 when a key
or an address is over its rate. Sessions play no part: who is logged in changes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Max
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from core.exceptions import Forbidden
from core.ops.network import client_ip
from utility_services.attributes import InvalidAnswers
from utility_services.models import OPEN_STATUSES, RequestType

from . import mapping, services
from .formats import render, render_errors
from .models import Open311Request

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000
DESCRIPTION_MAX_LENGTH = 4000
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
ATTRIBUTE_PARAM = re.compile(r"^attribute\[([^\[\]]*)\](\[\])?$")
# Contact and location fields as the service layer names them -> as Open311 does.
PARAM_NAMES = {
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_name": "first_name",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "details": "description",
}


class Open311Error(Exception):
    """Answer with the spec's error list."""

    def __init__(self, status: int, errors: list[str] | str, *, headers: dict | None = None):
        super().__init__(status)
        self.status = status
        self.errors = [(status, message) for message in ([errors] if isinstance(errors, str) else errors)]
        self.headers = headers or {}


def _param(params, name: str) -> str:
    """A text parameter's value, trimmed; as the spec says of optional arguments, empty is the same as absent."""
    return _raw(params, name).strip()


def _raw(params, name: str) -> str:
    """A typed parameter's value exactly as sent: " 5" or a lone form feed is no number or date
    (the published schema says so), so it is refused rather than trimmed into one or into nothing."""
    value = params.get(name, "")
    return value if isinstance(value, str) else ""


# A JSON Schema number as text: what float() takes beyond it ("1_0", " 5", "nan") is refused.
NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _list(params, name: str) -> list[str]:
    """A comma-separated (or repeated) parameter, as a list of its non-empty items."""
    items = []
    for value in params.getlist(name):
        items += [item.strip() for item in value.split(",") if item.strip()]
    return items


def _datetime(params, name: str, errors: list[str]) -> datetime | None:
    value = _raw(params, name)
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        errors.append(f"{name} must be a W3C datetime with a time zone, e.g. 2010-01-01T00:00:00Z.")
        return None
    return moment


def _window(params, errors: list[str]) -> tuple[datetime, datetime]:
    """The start_date/end_date range: at most 90 days, the last 90 days by default."""
    start, end = _datetime(params, "start_date", errors), _datetime(params, "end_date", errors)
    if start is None and end is None:
        end = timezone.now()
    try:
        if start is None:
            start = (end or timezone.now()) - MAX_SPAN
        if end is None:
            end = start + MAX_SPAN
    except OverflowError:  # 90 days before 0001-01-01 or after 9999-12-31
        errors.append("start_date and end_date must leave room for a 90-day span within the years 1 to 9999.")
        return timezone.now() - MAX_SPAN, timezone.now()
    if end < start:
        errors.append("end_date must not be before start_date.")
    elif end - start > MAX_SPAN:
        errors.append("start_date and end_date may not span more than 90 days.")
    return start, end


def _page(params, errors: list[str]) -> tuple[int, int]:
    """The page/page_size extension: pages from 1, at most 1,000 items (the spec's default volume)."""
    numbers = {}
    for name, default, maximum in (("page", 1, 10**6), ("page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)):
        value = _raw(params, name)
        if not value:
            numbers[name] = default
        elif not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
            errors.append(f"{name} must be a whole number from 1 to {maximum}.")
            numbers[name] = default
        else:
            numbers[name] = int(value)
    return numbers["page"], numbers["page_size"]


def _float(params, name: str, low: float, high: float, errors: list[str]) -> float | None:
    value = _raw(params, name)
    if not value:
        return None
    number = float(value) if NUMBER.fullmatch(value) else None
    if number is None or not low <= number <= high:  # NaN fails both comparisons
        errors.append(f"{name} must be a number of WGS84 degrees from {low:g} to {high:g}.")
        return None
    return number


def _limited(params, name: str, limit: int, errors: list[str]) -> str:
    value = _param(params, name)
    if len(value) > limit:
        errors.append(f"{name} must be at most {limit} characters.")
    return value


def _answers(params) -> dict:
    """attribute[code]=value and attribute[code][]=value (repeated) as {code: value or [values]}."""
    answers = {}
    for name, values in params.lists():
        match = ATTRIBUTE_PARAM.match(name)
        if not match:
            continue
        code, many = match[1], bool(match[2])
        values = [value for value in values if isinstance(value, str)]
        if many or len(values) > 1 or isinstance(answers.get(code), list):
            answers[code] = [*answers.get(code, []), *values]
        else:
            answers[code] = values[0] if values else ""
    return answers


def _service_errors(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [
        f"{PARAM_NAMES.get(field, field)}: {message}"
        for field, errors in exc.message_dict.items()
        for message in errors
    ]


@method_decorator(csrf_exempt, name="dispatch")  # no cookies are used: the api_key is the credential
class Open311View(View):
    """Render what a handler returns (a root name and data) in the URL's format; errors as the spec's list."""

    http_method_names = ["get", "head"]

    def dispatch(self, request, *args, fmt: str, **kwargs):
        self.fmt = fmt
        try:
            if request.method.lower() not in self.http_method_names:
                allowed = ", ".join(method.upper() for method in self.http_method_names if method != "head")
                raise Open311Error(
                    405, f"{request.method} is not allowed here; use {allowed}.", headers={"Allow": allowed}
                )
            params = self.parameters(request)
            jurisdiction = _param(params, "jurisdiction_id")
            if settings.OPEN311_JURISDICTION_ID and jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION_ID:
                raise Open311Error(404, f"jurisdiction_id {jurisdiction[:100]} was not found.")
            if request.method in ("GET", "HEAD"):
                self.throttle(f"read:{client_ip(request)}", settings.OPEN311_READ_RATE)
            root, data, status = super().dispatch(request, params, *args, **kwargs)
        except Open311Error as exc:
            return render_errors(exc.errors, fmt, status=exc.status, headers=exc.headers)
        return render(root, data, fmt, status=status)

    def parameters(self, request):
        if request.method != "POST":
            return request.GET
        if request.content_type not in FORM_CONTENT_TYPES:
            raise Open311Error(400, "Send the parameters form-encoded (application/x-www-form-urlencoded).")
        try:
            return request.POST
        except (MultiPartParserError, SuspiciousOperation, ValueError):
            raise Open311Error(400, "The form-encoded body could not be read.") from None

    def throttle(self, identity: str, rate: str) -> None:
        wait = services.rate_limit_wait(identity, rate)
        if wait:
            raise Open311Error(429, f"Too many requests: retry in {wait} seconds.", headers={"Retry-After": str(wait)})

    def authenticate(self, params):
        """The application of the api_key given (403 without a valid one), within its own rate."""
        raw_key = _param(params, "api_key")
        if not raw_key:
            raise Open311Error(403, "api_key was not provided: this call needs an API key.")
        application = services.application_for_key(raw_key)
        if application is None:
            raise Open311Error(403, "Invalid api_key: it is unknown or has been revoked.")
        self.throttle(f"key:{application.pk}", application.effective_rate)
        return application


class DiscoveryView(Open311View):
    def get(self, request, params):
        changed = RequestType.objects.aggregate(last=Max("updated_at"))["last"] or timezone.now()
        changeset = changed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        endpoint = request.build_absolute_uri("/open311/v2")
        return (
            "discovery",
            {
                "changeset": changeset,
                "contact": settings.OPEN311_CONTACT,
                "key_service": settings.OPEN311_KEY_SERVICE,
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": endpoint,
                        "changeset": changeset,
                        "type": settings.OPEN311_ENDPOINT_TYPE,
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            },
            200,
        )


def _active_types():
    return RequestType.objects.filter(is_active=True).prefetch_related("attributes").order_by("sort_order", "name")


class ServiceListView(Open311View):
    def get(self, request, params):
        return "services", [mapping.service(request_type) for request_type in _active_types()], 200


class ServiceDefinitionView(Open311View):
    def get(self, request, params, service_code):
        request_type = _active_types().filter(code=service_code).first()
        if request_type is None:
            raise Open311Error(404, f"service_code {service_code} was not found.")
        return "service_definition", mapping.service_definition(request_type), 200


class RequestsView(Open311View):
    http_method_names = ["get", "head", "post"]

    def get(self, request, params):
        requests = mapping.public_requests()
        # Every argument is checked, also those that service_request_id overrides: a malformed
        # one is the client's mistake to hear about (as the published schema says), not to have
        # silently ignored. Well-formed ones are ignored when ids are given, as the spec says.
        errors = []
        ids = _list(params, "service_request_id")
        if len(ids) > MAX_IDS:
            errors.append(f"Ask for at most {MAX_IDS} service_request_id at once.")
        codes = _list(params, "service_code")  # an unknown code simply matches nothing
        statuses = set(_list(params, "status"))
        if statuses - {"open", "closed"}:
            errors.append("status must be open, closed, or both (comma-separated).")
        start, end = _window(params, errors)
        page, page_size = _page(params, errors)
        if errors:
            raise Open311Error(400, errors)
        if ids:  # overrides every other argument
            found = requests.filter(reference__in=[value.upper() for value in ids]).order_by("-submitted_at", "-id")
            return "service_requests", [mapping.service_request(item) for item in found], 200
        requests = requests.filter(submitted_at__gte=start, submitted_at__lte=end)
        if codes:
            requests = requests.filter(request_type__code__in=codes)
        if statuses == {"open"}:
            requests = requests.filter(status__in=OPEN_STATUSES)
        elif statuses == {"closed"}:
            requests = requests.exclude(status__in=OPEN_STATUSES)
        offset = (page - 1) * page_size
        found = requests.order_by("-submitted_at", "-id")[offset : offset + page_size]
        return "service_requests", [mapping.service_request(item) for item in found], 200

    def post(self, request, params):
        application = self.authenticate(params)
        code = _param(params, "service_code")
        if not code:
            raise Open311Error(400, "service_code was not provided.")
        request_type = _active_types().filter(code=code).first()
        if request_type is None:
            raise Open311Error(404, f"service_code {code[:64]} was not found.")
        errors = []
        latitude = _float(params, "lat", -90, 90, errors)
        longitude = _float(params, "long", -180, 180, errors)
        address_string = _limited(params, "address_string", 300, errors)
        address_id = _limited(params, "address_id", 100, errors)
        lat_given, long_given = bool(_raw(params, "lat")), bool(_raw(params, "long"))
        if lat_given != long_given:
            errors.append("lat and long must be sent together.")
        if not (lat_given or long_given or address_string or address_id):
            errors.append("A location is required: lat and long, address_string or address_id.")
        email = _limited(params, "email", 254, errors)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append("email is not a valid email address.")
        media_url = _limited(params, "media_url", 500, errors)
        if media_url:
            try:
                URLValidator(schemes=["http", "https"])(media_url)
            except ValidationError:
                errors.append("media_url must be an http or https URL.")
        fields = {
            name: _limited(params, name, limit, errors)
            for name, limit in (
                ("first_name", 70),
                ("last_name", 70),
                ("phone", 30),
                ("device_id", 100),
                ("account_id", 100),
                ("description", DESCRIPTION_MAX_LENGTH),
            )
        }
        if errors:
            raise Open311Error(400, errors)
        try:
            record = services.open311_request_submit(
                application=application,
                request_type=request_type,
                latitude=latitude,
                longitude=longitude,
                address_string=address_string,
                address_id=address_id,
                email=email,
                media_url=media_url,
                attributes=_answers(params),
                **fields,
            )
        except InvalidAnswers as exc:
            raise Open311Error(
                400, [f"attribute[{code}]: {message}" for code, messages in exc.errors.items() for message in messages]
            ) from None
        except ValidationError as exc:
            raise Open311Error(400, _service_errors(exc)) from None
        return "service_requests", [mapping.created(record, with_token=application.returns_tokens)], 200


class RequestDetailView(Open311View):
    def get(self, request, params, service_request_id):
        found = mapping.public_requests().filter(reference=service_request_id.upper()).first()
        if found is None:
            raise Open311Error(404, f"service_request_id {service_request_id} was not found.")
        return "service_requests", [mapping.service_request(found)], 200


class TokenView(Open311View):
    def get(self, request, params, token):
        record = Open311Request.objects.select_related("service_request").filter(token=token).first()
        if record is None:
            raise Open311Error(404, f"token {token} was not found.")
        return "service_requests", [{"service_request_id": record.service_request.reference, "token": token}], 200


class UpdatesView(Open311View):
    """mySociety's servicerequestupdates: our public updates of Open311 requests, and the client's updates."""

    http_method_names = ["get", "head", "post"]

    def get(self, request, params):
        errors = []
        start, end = _window(params, errors)
        page, page_size = _page(params, errors)
        if errors:
            raise Open311Error(400, errors)
        events = mapping.public_update_events().filter(created_at__gte=start, created_at__lte=end)
        offset = (page - 1) * page_size
        return "service_request_updates", mapping.updates(list(events[offset : offset + page_size])), 200

    def post(self, request, params):
        application = self.authenticate(params)
        errors = []
        values = {}
        for name in ("service_request_id", "update_id", "status", "updated_datetime"):
            values[name] = _param(params, name)
            if not values[name]:
                errors.append(f"{name} was not provided.")
        if "description" not in params:
            errors.append("description was not provided.")
        if values["status"] and values["status"].upper() not in services.UPDATE_STATUSES:
            errors.append(f"status must be one of: {', '.join(services.UPDATE_STATUSES)}.")
        updated = _datetime(params, "updated_datetime", errors)
        description = _limited(params, "description", DESCRIPTION_MAX_LENGTH, errors)
        update_id = _limited(params, "update_id", 100, errors)
        first_name = _limited(params, "first_name", 70, errors)
        last_name = _limited(params, "last_name", 70, errors)
        if errors:
            raise Open311Error(400, errors)
        target = (
            mapping.public_requests()
            .filter(reference=values["service_request_id"].upper(), open311__application=application)
            .first()
        )
        if target is None:  # another application's request is not this one's to update
            raise Open311Error(404, f"service_request_id {values['service_request_id'][:64]} was not found.")
        try:
            update = services.open311_update_submit(
                application=application,
                service_request=target,
                update_id=update_id,
                status=values["status"],
                updated_datetime=updated,
                description=description,
                first_name=first_name,
                last_name=last_name,
            )
        except Forbidden as exc:
            raise Open311Error(403, exc.message) from None
        return "service_request_updates", [{"update_id": str(update.event_id or update.pk)}], 200


def not_found(request, path=""):
    """Anything else under /open311/v2/: a 404 in the spec's format (JSON if the path asks for it)."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return render_errors(
        [(404, f"{request.path[:200]} is not an Open311 resource; see discovery.xml.")], fmt, status=404
    )
