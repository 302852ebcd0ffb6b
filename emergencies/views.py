"""Web pages of gas emergencies: anyone's report, the dispatch board and record (staff), the engineer's page.

Thin views over `emergencies.services`, called exactly as the API calls them: a form parses,
one service call acts (the services check who may do what, whatever the page checked), and
every POST ends in a redirect. Engineers only reach `Emergency.objects.for_engineer(user)`:
anything else is a 404. The report page is never a dead end: whatever happens, the safety
notice and the emergency number are on it.
"""

import logging
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import PriorityServicesRegistration, User
from core.api.throttling import page_rate_limited
from core.exceptions import ServiceError
from utility_services.emergency import safety_notice
from utility_services.models import Attachment, ServiceRequest
from utility_services.views import staff_required

from . import forms, services
from .models import Emergency, EmergencyEvent, at_risk_window, clock_state

logger = logging.getLogger(__name__)
Kind = EmergencyEvent.Kind
REPORTED_SESSION_KEY = "emergency_reported"
BOARD_LIMIT = 200


def _show_error(form, exc: Exception) -> None:
    """Put a service's refusal on the form: next to its field when it names one, else above the form."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc)
    else:
        form.add_error(None, exc.message)


def _reporter(user) -> User | None:
    """The account a report belongs to: a logged-in customer's (as the API decides), else nobody."""
    return user if user.is_authenticated and user.role == User.Role.CUSTOMER else None


def _local(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%d %b %Y, %H:%M}" if value else ""


# --- Anyone: the report ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report(request):
    """Report a gas emergency, with or without an account; the safety notice comes first.

    Throttled per client address with the API's counters. A throttled, invalid or failed
    report shows the emergency number above everything else, with what was typed kept.
    """
    reporter = _reporter(request.user)
    form = forms.ReportForm(request.POST or None, reporter=reporter)
    notice = safety_notice()
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        wait = page_rate_limited(request, "emergency_report", per_address=True)
        if wait:
            form.add_error(
                None,
                f"We cannot take more reports from here just now. If you smell gas, call "
                f"{notice['emergency_phone']} now: it is answered 24 hours a day.",
            )
            status, retry_after = 429, wait
        else:
            try:
                emergency = services.emergency_report(
                    reporter=reporter, channel=ServiceRequest.Channel.WEB, **form.report_kwargs()
                )
            except (ValidationError, ServiceError) as exc:
                _show_error(form, exc)
            except Exception:
                # Whatever failed, the reporter leaves with the number, never a bare error page.
                logger.exception("An emergency report from the web page could not be recorded")
                form.add_error(
                    None,
                    f"Your report could not be recorded. Call {notice['emergency_phone']} now: "
                    "it is answered 24 hours a day.",
                )
                status = 503
            else:
                request.session[REPORTED_SESSION_KEY] = {
                    "reference": emergency.reference,
                    "request_id": emergency.service_request_id if reporter else None,
                    "received_at": emergency.received_at.isoformat(),
                }
                return redirect("emergency-reported")
    response = render(
        request,
        "emergencies/report.html",
        {"form": form, "notice": notice, "reporter": reporter, "emergency_phone_number": notice["emergency_phone"]},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def reported(request):
    """The confirmation: the safety notice again, and the report's number (kept in the reporter's session)."""
    done = request.session.get(REPORTED_SESSION_KEY)
    if not done:
        return redirect("emergency-report")
    return render(
        request,
        "emergencies/reported.html",
        {
            "notice": safety_notice(),
            "reference": done["reference"],
            "received_at": datetime.fromisoformat(done["received_at"]),
            "request_id": done["request_id"] if request.user.is_authenticated else None,
        },
    )


# --- Dispatchers -----------------------------------------------------------------------


def _with_clocks(emergencies, now: datetime) -> list[Emergency]:
    for emergency in emergencies:
        # The board's queryset annotates `clock_state` (the same rule in SQL), hiding the method.
        emergency.state = clock_state(emergency.deadline_at, emergency.arrived_at, now)
        emergency.left = emergency.seconds_left(now)
    return emergencies


def _clock_context(now: datetime) -> dict:
    return {"now": now, "at_risk_seconds": int(at_risk_window().total_seconds())}


@staff_required
def board(request):
    """Open emergencies, undispatched first, then by the time left on their clock; it refreshes itself."""
    now = timezone.now()
    queryset = Emergency.objects.board(now)
    total = queryset.count()
    rows = _with_clocks(list(queryset[:BOARD_LIMIT]), now)
    return render(
        request,
        "emergencies/staff/board.html",
        {
            "rows": rows,
            "total": total,
            "limited": total > len(rows),
            "refresh_seconds": settings.EMERGENCY_BOARD_REFRESH_SECONDS,
            **_clock_context(now),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def phoned_report(request):
    """Enter a report phoned in, with the caller's time of call (the API's POST /api/admin/emergencies/)."""
    form = forms.PhonedReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            emergency = services.emergency_report(
                reporter=form.cleaned_data["customer"],
                channel=ServiceRequest.Channel.PHONE,
                entered_by=request.user,
                received_at=form.cleaned_data["received_at"],
                **form.report_kwargs(),
            )
        except (ValidationError, ServiceError) as exc:
            _show_error(form, exc)
        else:
            messages.success(request, f"Emergency {emergency.reference} recorded. Dispatch an engineer.")
            return redirect("staff-emergency-detail", pk=emergency.pk)
    return render(request, "emergencies/staff/phoned_report.html", {"form": form, "notice": safety_notice()})


def _correction_text(event: EmergencyEvent) -> str:
    before, after = (timezone.localtime(datetime.fromisoformat(event.data[key])) for key in ("from", "to"))
    return f"{Kind(event.data['kind']).label}: {before:%d %b %H:%M:%S} → {after:%d %b %H:%M:%S}"


def _describe(event: EmergencyEvent) -> str:
    """What an entry says beyond its kind, body and reason, in words."""
    data = event.data or {}
    if event.kind == Kind.RECEIPT:
        return f"By {event.emergency.get_channel_display().lower()}; classified {data.get('classification', '')}"
    if event.kind == Kind.CLASSIFICATION_OVERRIDE:
        return f"{data.get('from')} → {data.get('to')}"
    if event.kind == Kind.DISPATCHED:
        return data.get("engineer_name", "")
    if event.kind == Kind.INCIDENT:
        return ", ".join(flag.capitalize() for flag in services.INCIDENT_FLAGS if data.get(flag))
    if event.kind == Kind.REGULATOR_NOTIFIED:
        reference = data.get("reference")
        return data.get("regulator", "") + (f" (reference {reference})" if reference else "")
    if event.kind == Kind.CORRECTION:
        return _correction_text(event)
    if event.kind == Kind.ESCALATION:
        return f"Stage: {data.get('stage', '')}"
    return ""


def record_entries(events: list[EmergencyEvent]) -> list[dict]:
    """The record as the pages show it: each entry with its times, what it says, and its corrections."""
    corrections: dict[int, list[EmergencyEvent]] = {}
    for event in events:
        if event.kind == Kind.CORRECTION:
            corrections.setdefault(event.corrects_id, []).append(event)
    entries = []
    for event in events:
        fixes = corrections.get(event.pk, [])
        entries.append(
            {
                "event": event,
                "description": _describe(event),
                "corrections": fixes,
                "effective_at": fixes[-1].occurred_at if fixes else event.occurred_at,
                "occurred_differs": abs((event.occurred_at - event.recorded_at).total_seconds()) > 60,
            }
        )
    return entries


def _registration(emergency: Emergency) -> PriorityServicesRegistration | None:
    customer_id = emergency.service_request.customer_id
    return PriorityServicesRegistration.objects.filter(user_id=customer_id).first() if customer_id else None


def _events(emergency: Emergency) -> list[EmergencyEvent]:
    return list(emergency.events.select_related("emergency", "engineer", "corrects").order_by("recorded_at", "id"))


# What a dispatcher can do on the record's page: the form of each action, and what the page then says.
STAFF_ACTIONS = {
    "dispatch": forms.DispatchForm,
    "step": forms.StepForm,
    "classification": forms.ClassificationForm,
    "record": forms.StaffRecordForm,
    "incident": forms.IncidentForm,
    "regulator": forms.RegulatorForm,
    "correction": forms.CorrectionForm,
    "review": forms.ReviewForm,
    "photos": forms.StaffPhotoForm,
}
STAFF_DONE = {
    "dispatch": "Engineer dispatched.",
    "step": "Step recorded.",
    "classification": "Classification changed.",
    "record": "Entry recorded.",
    "incident": "Incident recorded.",
    "regulator": "Regulator notification recorded.",
    "correction": "Time corrected.",
    "review": "Review recorded.",
    "photos": "Photos added.",
}


def _staff_act(user, emergency: Emergency, action: str, data: dict) -> EmergencyEvent:
    """Call the one service of `action`, as the API's view of the same action does."""
    common = {"acting_user": user, "emergency": emergency}
    if action == "dispatch":
        return services.emergency_dispatch(**common, **data)
    if action == "step":
        return services.emergency_record_step(**common, **data)
    if action == "classification":
        return services.emergency_override_classification(**common, **data)
    if action == "record":
        return services.emergency_record(**common, **data)
    if action == "incident":
        return services.emergency_record_incident(**common, **data)
    if action == "regulator":
        return services.emergency_record_regulator_notified(**common, **data)
    if action == "correction":
        return services.emergency_correct_time(**common, **data)
    if action == "review":
        return services.emergency_review(**common, **data)
    return services.emergency_attach_photos(**common, **data)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_detail(request, pk):
    """One emergency's whole record, and every dispatcher's (and the supervisor's) action on it."""
    emergency = get_object_or_404(Emergency.objects.with_related(), pk=pk)
    events = _events(emergency)
    allowed = services.allowed_steps(emergency, events)
    action = request.POST.get("action") if request.method == "POST" else None

    def make(name: str):
        bound = action == name
        kwargs = {"prefix": name}
        if name == "step":
            kwargs["allowed"] = allowed
        if name == "correction":
            kwargs["emergency"] = emergency
        return STAFF_ACTIONS[name](
            request.POST if bound else None, request.FILES if bound and name == "photos" else None, **kwargs
        )

    action_forms = {name: make(name) for name in STAFF_ACTIONS}
    if action in action_forms and action_forms[action].is_valid():
        try:
            _staff_act(request.user, emergency, action, action_forms[action].cleaned_data)
        except (ValidationError, ServiceError) as exc:
            _show_error(action_forms[action], exc)
        else:
            messages.success(request, STAFF_DONE[action])
            return redirect("staff-emergency-detail", pk=pk)
    now = timezone.now()
    _with_clocks([emergency], now)
    return render(
        request,
        "emergencies/staff/detail.html",
        {
            "e": emergency,
            "entries": record_entries(events),
            "forms": action_forms,
            "open_form": action,
            "allowed": allowed,
            "is_supervisor": services.is_supervisor(request.user),
            "registration": _registration(emergency),
            "attachments": emergency.service_request.attachments.all(),
            **_clock_context(now),
        },
    )


# --- Engineers -------------------------------------------------------------------------


def engineer_required(view):
    """Engineers only: the login page when logged out, 403 for everyone else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_engineer:
            raise PermissionDenied("These pages are for engineers.")
        return view(request, *args, **kwargs)

    return wrapper


@engineer_required
def engineer_home(request):
    """My emergencies: open ones first, by deadline; then the closed ones, newest first (as the API)."""
    now = timezone.now()
    mine = (
        Emergency.objects.for_engineer(request.user)
        .with_related()
        .order_by(F("closed_at").desc(nulls_first=True), "deadline_at", "id")
    )
    rows = _with_clocks(list(mine[:BOARD_LIMIT]), now)
    return render(
        request,
        "emergencies/engineer/home.html",
        {"open": [e for e in rows if e.is_open], "closed": [e for e in rows if not e.is_open], **_clock_context(now)},
    )


def _engineer_emergency(request, pk) -> Emergency:
    return get_object_or_404(Emergency.objects.for_engineer(request.user).with_related(), pk=pk)


@engineer_required
@require_http_methods(["GET", "POST"])
def engineer_detail(request, pk):
    """Phone-first: the next steps as large buttons, then notes, photos and incidents. Each tap is a plain POST."""
    emergency = _engineer_emergency(request, pk)
    events = _events(emergency)
    allowed = services.allowed_steps(emergency, events)
    action = request.POST.get("action") if request.method == "POST" else None
    post = request.POST if request.method == "POST" else None
    action_forms = {
        "defer": forms.DeferForm(post if action == "defer" else None, prefix="defer"),
        "record": forms.RecordForm(post if action == "record" else None, prefix="record"),
        "photos": forms.PhotoForm(
            post if action == "photos" else None, request.FILES if action == "photos" else None, prefix="photos"
        ),
        "incident": forms.IncidentForm(post if action == "incident" else None, prefix="incident"),
    }
    common = {"acting_user": request.user, "emergency": emergency}
    if action == "step":
        # One tap, one step; a repeated tap (a slow connection) is refused by the service and explained.
        step = request.POST.get("step", "")
        try:
            event = services.emergency_record_step(**common, step=step)
        except (ValidationError, ServiceError) as exc:
            messages.error(request, exc.message if isinstance(exc, ServiceError) else " ".join(exc.messages))
        else:
            when = timezone.localtime(event.occurred_at)
            messages.success(request, f"Recorded: {forms.STEP_LABELS[step]} at {when:%H:%M}.")
        return redirect("engineer-emergency", pk=pk)
    if action in action_forms and action_forms[action].is_valid():
        data = action_forms[action].cleaned_data
        handlers = {
            "defer": lambda: services.emergency_record_step(**common, step=Kind.DEFERRED, reason=data["reason"]),
            "record": lambda: services.emergency_record(**common, kind=data["kind"], body=data["body"]),
            "photos": lambda: services.emergency_attach_photos(**common, files=data["files"]),
            "incident": lambda: services.emergency_record_incident(**common, **data),
        }
        done = {
            "defer": "Recorded: made safe, repair deferred.",
            "record": "Added to the record.",
            "photos": "Photos added.",
            "incident": "Incident recorded.",
        }
        try:
            handlers[action]()
        except (ValidationError, ServiceError) as exc:
            _show_error(action_forms[action], exc)
        else:
            messages.success(request, done[action])
            return redirect("engineer-emergency", pk=pk)
    now = timezone.now()
    _with_clocks([emergency], now)
    return render(
        request,
        "emergencies/engineer/detail.html",
        {
            "e": emergency,
            "steps": [(step, forms.STEP_LABELS[step]) for step in allowed if step != Kind.DEFERRED],
            "can_defer": Kind.DEFERRED in allowed,
            "entries": record_entries(events),
            "forms": action_forms,
            "open_form": action,
            "registration": _registration(emergency),
            "attachments": emergency.service_request.attachments.all(),
            **_clock_context(now),
        },
    )


@engineer_required
def engineer_attachment(request, pk, attachment_id):
    """Download a file of an emergency dispatched to me (anyone else's: 404)."""
    emergency = _engineer_emergency(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_id, service_request_id=emergency.service_request_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
