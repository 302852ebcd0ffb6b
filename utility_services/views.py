"""Web pages: the customer portal (/requests/) and the staff console (/staff/).

Thin views over the same service functions and querysets as the API: a form
parses the input, one service call does the work, and the page shows the result.
Customers only ever reach `ServiceRequest.objects.for_customer(user)`.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.forms import CheckboxSelectMultiple, SelectMultiple
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import PriorityServicesRegistration
from core.api.concurrency import version_of
from core.api.pagination import CappedCountPaginator, page_of
from core.api.throttling import page_rate_limited, too_many_message
from core.exceptions import NotFound, ServiceError
from emergencies.models import Emergency

from . import services, workflow
from .api.filters import CustomerRequestFilter, StaffRequestFilter
from .attributes import InvalidAnswers, describe_answers
from .emergency import safety_notice
from .forms import (
    AttachmentForm,
    ChooseTypeForm,
    CommentForm,
    NoteForm,
    ReasonForm,
    StaffAttachmentForm,
    StaffUpdateForm,
    SubmitForm,
)
from .models import ExportJob, RequestEvent, RequestType, ServiceRequest

PAGE_SIZE = 20


def home(request):
    return render(request, "home.html", {"notice": safety_notice()})


def _page(request, queryset):
    """One page of `queryset`, counted and loaded as the API's lists are (capped count, ids first)."""
    page = CappedCountPaginator(queryset.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = page_of(queryset, list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return page, (query.urlencode() + "&") if query else ""


def _for_page(filterset):
    """Render the API's filters as a page form: checkboxes for multiple choices, no API hints."""
    for field in filterset.form.fields.values():
        field.help_text = ""
        if isinstance(field.widget, SelectMultiple):
            field.widget = CheckboxSelectMultiple(choices=field.choices)
    return filterset


# The rate-limit scope of each page action, shared with the API's views.
ACTION_SCOPES = {"comment": "comment", "attach": "attachment", "note": "note"}


def _over_rate(request, action, form) -> bool:
    """Count a page action against its user's rate; if over it, say so on the form."""
    scope = ACTION_SCOPES.get(action)
    wait = page_rate_limited(request, scope) if scope else None
    if wait:
        form.add_error(None, too_many_message(wait))
    return bool(wait)


def _reach(user, pk, **options) -> ServiceRequest:
    """services.access_service_request, as a page's 404."""
    try:
        return services.access_service_request(user, pk, **options)
    except NotFound:
        raise Http404("No such request.") from None


def _filtered(filterset, queryset):
    """The filtered queryset; nothing while the filters are invalid (their errors are shown)."""
    if not filterset.is_bound:
        return queryset
    return filterset.qs if filterset.is_valid() else queryset.none()


def _apply_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError next to the matching field, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- Customer portal -------------------------------------------------------------------


@login_required
def request_list(request):
    queryset = ServiceRequest.objects.for_customer(request.user)
    filterset = _for_page(CustomerRequestFilter(request.GET or None, queryset=queryset, request=request))
    page, querystring = _page(request, _filtered(filterset, queryset))
    return render(
        request,
        "utility_services/portal/request_list.html",
        {"filter": filterset, "page_obj": page, "querystring_without_page": querystring},
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    """Step 1: choose the kind of request (emergencies show their safety notice next)."""
    form = ChooseTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("portal-request-new-details", type_id=form.cleaned_data["request_type"].pk)
    return render(request, "utility_services/portal/request_choose_type.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def request_new_details(request, type_id):
    """Step 2: describe it and attach files. For an emergency, the safety notice comes first."""
    request_type = get_object_or_404(RequestType.objects.prefetch_related("attributes"), pk=type_id, is_active=True)
    form = SubmitForm(
        request.POST or None,
        request.FILES or None,
        request_type=request_type,
        initial={"address": request.user.address},
    )
    notice = safety_notice() if request_type.is_emergency else None
    context = {"form": form, "request_type": request_type, "notice": notice}
    if request.method == "POST" and form.is_valid():
        wait = page_rate_limited(request, "submit")
        if wait:
            form.add_error(
                None, f"You have sent many requests recently. Please try again in {max(1, wait // 60)} minutes."
            )
            response = render(request, "utility_services/portal/request_form.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        try:
            service_request = services.service_request_submit(
                customer=request.user,
                request_type=request_type,
                details=form.cleaned_data["details"],
                files=form.cleaned_data["files"],
                channel=ServiceRequest.Channel.WEB,
                address=form.cleaned_data["address"] or None,
                postcode=form.cleaned_data["postcode"],
                latitude=form.cleaned_data["latitude"],
                longitude=form.cleaned_data["longitude"],
                attributes=form.answers(),
            )
        except InvalidAnswers as exc:
            form.add_answer_errors(exc.errors)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"Your request {service_request.reference} was submitted. Quote this reference if you call us."
            )
            return redirect("portal-request-detail", pk=service_request.pk)
    return render(request, "utility_services/portal/request_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk):
    """One of my requests: public timeline, comments, attachments, cancel and reopen."""
    queryset = ServiceRequest.objects.select_related("request_type").prefetch_related("events", "attachments")
    service_request = _reach(request.user, pk, queryset=queryset)
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {
        "comment": CommentForm(request.POST if action == "comment" else None, prefix="comment"),
        "attach": AttachmentForm(
            request.POST if action == "attach" else None, request.FILES if action == "attach" else None, prefix="attach"
        ),
        "cancel": ReasonForm(request.POST if action == "cancel" else None, prefix="cancel"),
        "reopen": ReasonForm(request.POST if action == "reopen" else None, prefix="reopen"),
    }
    status = 200
    if action in forms and forms[action].is_valid() and _over_rate(request, action, forms[action]):
        status = 429
    elif action in forms and forms[action].is_valid():
        data, user = forms[action].cleaned_data, request.user
        handlers = {
            "comment": lambda: services.service_request_comment(
                customer=user, service_request=service_request, body=data["body"]
            ),
            "attach": lambda: services.service_request_attach(
                acting_user=user, service_request=service_request, files=data["files"]
            ),
            "cancel": lambda: services.service_request_cancel(
                customer=user, service_request=service_request, reason=data["reason"]
            ),
            "reopen": lambda: services.service_request_reopen(
                customer=user, service_request=service_request, reason=data["reason"]
            ),
        }
        done = {
            "comment": "Your information was added.",
            "attach": "Your files were attached.",
            "cancel": "Your request was cancelled.",
            "reopen": "Your request was reopened.",
        }
        try:
            handlers[action]()
        except ValidationError as exc:
            _apply_service_errors(forms[action], exc)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("portal-request-detail", pk=pk)
        else:
            messages.success(request, done[action])
            return redirect("portal-request-detail", pk=pk)
    public_events = [event for event in service_request.events.all() if not event.is_internal]
    return render(
        request,
        "utility_services/portal/request_detail.html",
        {
            "sr": service_request,
            "events": public_events,
            "attachments": [
                attachment for attachment in service_request.attachments.all() if not attachment.is_internal
            ],
            "forms": forms,
            "answers": describe_answers(service_request),
            "notice": safety_notice() if service_request.request_type.is_emergency else None,
            "can_cancel": workflow.customer_can_cancel(service_request),
            "can_reopen": workflow.customer_can_reopen(service_request),
            "accepts_additions": service_request.status
            not in (ServiceRequest.Status.CLOSED, ServiceRequest.Status.CANCELLED),
        },
        status=status,
    )


# --- Staff console ---------------------------------------------------------------------


def staff_required(view):
    """Agents and admins only: the login page when logged out, 403 for customers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("The staff console is for agents and admins.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def staff_queue(request):
    queryset = ServiceRequest.objects.for_staff()
    filterset = _for_page(StaffRequestFilter(request.GET or None, queryset=queryset, request=request))
    results = _filtered(filterset, queryset)
    if not (filterset.is_bound and filterset.form.cleaned_data.get("ordering")):
        results = results.queue_order()
    page, querystring = _page(request, results)
    return render(
        request,
        "utility_services/staff/queue.html",
        {"filter": filterset, "page_obj": page, "querystring_without_page": querystring},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def staff_request_detail(request, pk):
    events = RequestEvent.objects.order_by("created_at", "id")
    queryset = ServiceRequest.objects.for_staff().prefetch_related(Prefetch("events", queryset=events), "attachments")
    service_request = _reach(request.user, pk, as_staff=True, queryset=queryset)
    action = request.POST.get("action") if request.method == "POST" else None
    initial = {
        "status": service_request.status,
        "priority": service_request.priority,
        "assignee": service_request.assignee_id,
        "resolution_details": service_request.resolution_details,
        "version": version_of(service_request, "staff_updated_at"),
    }
    forms = {
        "update": StaffUpdateForm(request.POST if action == "update" else None, initial=initial, prefix="update"),
        "note": NoteForm(request.POST if action == "note" else None, prefix="note"),
        "attach": StaffAttachmentForm(
            request.POST if action == "attach" else None, request.FILES if action == "attach" else None, prefix="attach"
        ),
    }
    status = 200
    if action in forms and forms[action].is_valid() and _over_rate(request, action, forms[action]):
        status = 429
    elif action in forms and forms[action].is_valid():
        data, user = forms[action].cleaned_data, request.user
        try:
            if action == "update":
                changes = {field: data[field] for field in forms["update"].changed_data if field != "version"}
                services.service_request_update(
                    acting_user=user, service_request=service_request, expected_version=data["version"], **changes
                )
            elif action == "note":
                services.service_request_add_note(
                    acting_user=user,
                    service_request=service_request,
                    body=data["body"],
                    is_internal=data["visibility"] == "internal",
                )
            else:
                services.service_request_attach(
                    acting_user=user,
                    service_request=service_request,
                    files=data["files"],
                    is_internal=data["is_internal"],
                )
        except ValidationError as exc:
            _apply_service_errors(forms[action], exc)
        except ServiceError as exc:
            forms[action].add_error(None, exc.message)
        else:
            messages.success(
                request, {"update": "Request updated.", "note": "Note added.", "attach": "Files attached."}[action]
            )
            return redirect("staff-request-detail", pk=pk)
    return render(
        request,
        "utility_services/staff/request_detail.html",
        {
            "sr": service_request,
            "events": service_request.events.all(),
            "answers": describe_answers(service_request),
            "forms": forms,
            "notice": safety_notice() if service_request.request_type.is_emergency else None,
            "allowed": workflow.allowed_transitions(service_request.status),
            # Its gas-emergency record (kept when reclassified away) and the customer's register entry.
            "emergency": Emergency.objects.filter(service_request=service_request).first(),
            "registration": PriorityServicesRegistration.objects.filter(user_id=service_request.customer_id).first()
            if service_request.customer_id
            else None,
        },
        status=status,
    )


def _visible_exports(user):
    jobs = ExportJob.objects.select_related("requested_by")
    return jobs if user.is_admin else jobs.filter(requested_by=user)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_exports(request):
    """The staff member's CSV exports (admins: everyone's); POST starts one with the queue's filters."""
    if request.method == "POST":
        query = request.POST.get("query", "")[:2000]
        filterset = StaffRequestFilter(QueryDict(query), queryset=ServiceRequest.objects.none(), request=request)
        if not filterset.is_valid():
            messages.error(request, "These filters are not valid; correct them in the queue first.")
            return redirect("staff-queue")
        services.export_job_start(acting_user=request.user, query=query)
        messages.success(request, "The export is being built. It appears below when it is ready.")
        return redirect("staff-exports")
    exports = _visible_exports(request.user).order_by("-created_at")[:50]
    return render(request, "utility_services/staff/exports.html", {"exports": exports})


@staff_required
@require_http_methods(["GET"])
def staff_export_download(request, export_id):
    job = get_object_or_404(_visible_exports(request.user), pk=export_id, status=ExportJob.Status.READY)
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"service-requests-{job.created_at:%Y%m%d-%H%M}.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    return response
