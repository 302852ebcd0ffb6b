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
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import PriorityServicesRegistration
from core.api.pagination import CappedCountPaginator, page_of
from core.api.throttling import page_rate_limited, too_many_message
from core.concurrency import version_of
from core.exceptions import NotFound, ServiceError
from emergencies.models import Emergency

from . import services, workflow
from .attributes import InvalidAnswers, describe_answers
from .emergency import safety_notice
from .filters import CustomerRequestFilter, StaffRequestFilter
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


# The detail page's forms post to one view per action, as the API's routes do
# (/requests/<pk>/comments/, /attachments/, /cancel/, /reopen/). A form posted to the
# detail page itself names its action in an `action` field and reaches the same view.


def _portal_request(request, pk) -> ServiceRequest:
    """The caller's request `pk` with what its customer may see (a 404 for anyone else's)."""
    queryset = ServiceRequest.objects.select_related("request_type").with_public_timeline()
    return _reach(request.user, pk, queryset=queryset)


def _render_portal_detail(request, service_request, bound=None, status=200):
    """The customer's detail page; `bound` is the form of the action just posted, shown with its errors."""
    forms = {
        "comment": CommentForm(prefix="comment"),
        "attach": AttachmentForm(prefix="attach"),
        "cancel": ReasonForm(prefix="cancel"),
        "reopen": ReasonForm(prefix="reopen"),
    }
    if bound is not None:
        forms[bound.prefix] = bound
    return render(
        request,
        "utility_services/portal/request_detail.html",
        {
            "sr": service_request,
            "events": service_request.customer_timeline(),
            "attachments": service_request.customer_attachments(),
            "forms": forms,
            "answers": describe_answers(service_request),
            "notice": safety_notice() if service_request.request_type.is_emergency else None,
            "can_cancel": workflow.customer_can_cancel(service_request),
            "can_reopen": workflow.customer_can_reopen(service_request),
            "accepts_additions": service_request.accepts_additions,
        },
        status=status,
    )


def _customer_action(request, pk, form, perform, done: str):
    """Check the form and the rate, make the one service call `perform(service_request, data)`, say how it went.

    A refusal by the service (closed request, expired reopen window) is a message on the page.
    """
    service_request = _portal_request(request, pk)
    status = 200
    if form.is_valid() and _over_rate(request, form.prefix, form):
        status = 429
    elif form.is_valid():
        try:
            perform(service_request, form.cleaned_data)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("portal-request-detail", pk=pk)
        else:
            messages.success(request, done)
            return redirect("portal-request-detail", pk=pk)
    return _render_portal_detail(request, service_request, bound=form, status=status)


@login_required
@require_POST
def request_comment(request, pk):
    """Add information to my request; its assignee is told."""
    return _customer_action(
        request,
        pk,
        CommentForm(request.POST, prefix="comment"),
        lambda service_request, data: services.service_request_comment(
            customer=request.user, service_request=service_request, body=data["body"]
        ),
        "Your information was added.",
    )


@login_required
@require_POST
def request_attach(request, pk):
    """Attach files to my request."""
    return _customer_action(
        request,
        pk,
        AttachmentForm(request.POST, request.FILES, prefix="attach"),
        lambda service_request, data: services.service_request_attach(
            acting_user=request.user, service_request=service_request, files=data["files"]
        ),
        "Your files were attached.",
    )


@login_required
@require_POST
def request_cancel(request, pk):
    """Cancel my open request (`workflow.customer_can_cancel`)."""
    return _customer_action(
        request,
        pk,
        ReasonForm(request.POST, prefix="cancel"),
        lambda service_request, data: services.service_request_cancel(
            customer=request.user, service_request=service_request, reason=data["reason"]
        ),
        "Your request was cancelled.",
    )


@login_required
@require_POST
def request_reopen(request, pk):
    """Reopen my resolved request within the reopen window (`workflow.customer_can_reopen`)."""
    return _customer_action(
        request,
        pk,
        ReasonForm(request.POST, prefix="reopen"),
        lambda service_request, data: services.service_request_reopen(
            customer=request.user, service_request=service_request, reason=data["reason"]
        ),
        "Your request was reopened.",
    )


# A form posted to the detail page names its action: the view that handles it.
PORTAL_ACTIONS = {
    "comment": request_comment,
    "attach": request_attach,
    "cancel": request_cancel,
    "reopen": request_reopen,
}


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk):
    """One of my requests: public timeline, comments, attachments, cancel and reopen."""
    action = PORTAL_ACTIONS.get(request.POST.get("action")) if request.method == "POST" else None
    if action is not None:
        return action(request, pk)
    return _render_portal_detail(request, _portal_request(request, pk))


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
    # Unless a sort is chosen, the queue's one default order (`QUEUE_ORDER`, from for_staff()).
    results = _filtered(filterset, queryset)
    page, querystring = _page(request, results)
    return render(
        request,
        "utility_services/staff/queue.html",
        {"filter": filterset, "page_obj": page, "querystring_without_page": querystring},
    )


def _staff_request(request, pk) -> ServiceRequest:
    """Request `pk` with its whole timeline and files, for staff."""
    events = RequestEvent.objects.order_by("created_at", "id")
    queryset = ServiceRequest.objects.for_staff().prefetch_related(Prefetch("events", queryset=events), "attachments")
    return _reach(request.user, pk, as_staff=True, queryset=queryset)


def _update_form(service_request, data=None) -> StaffUpdateForm:
    initial = {
        "status": service_request.status,
        "priority": service_request.priority,
        "assignee": service_request.assignee_id,
        "resolution_details": service_request.resolution_details,
        "version": version_of(service_request, "staff_updated_at"),
    }
    return StaffUpdateForm(data, initial=initial, prefix="update")


def _render_staff_detail(request, service_request, bound=None, status=200):
    """The staff detail page; `bound` is the form of the action just posted, shown with its errors."""
    forms = {
        "update": _update_form(service_request),
        "note": NoteForm(prefix="note"),
        "attach": StaffAttachmentForm(prefix="attach"),
    }
    if bound is not None:
        forms[bound.prefix] = bound
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


def _staff_page_action(request, service_request, form, perform, done: str):
    """Check the form and the rate, make the one service call `perform(data)`; a refusal shows on the form."""
    status = 200
    if form.is_valid() and _over_rate(request, form.prefix, form):
        status = 429
    elif form.is_valid():
        try:
            perform(form.cleaned_data)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("staff-request-detail", pk=service_request.pk)
    return _render_staff_detail(request, service_request, bound=form, status=status)


@staff_required
@require_POST
def staff_request_update(request, pk):
    """Change what the form changed (status, priority, assignee, resolution), in one transaction."""
    service_request = _staff_request(request, pk)
    form = _update_form(service_request, request.POST)
    return _staff_page_action(
        request,
        service_request,
        form,
        lambda data: services.service_request_update(
            acting_user=request.user,
            service_request=service_request,
            expected_version=data["version"],
            **{field: data[field] for field in form.changed_data if field != "version"},
        ),
        "Request updated.",
    )


@staff_required
@require_POST
def staff_request_note(request, pk):
    """Add an internal note, or a public one (emailed to the customer)."""
    service_request = _staff_request(request, pk)
    return _staff_page_action(
        request,
        service_request,
        NoteForm(request.POST, prefix="note"),
        lambda data: services.service_request_add_note(
            acting_user=request.user,
            service_request=service_request,
            body=data["body"],
            is_internal=data["visibility"] == "internal",
        ),
        "Note added.",
    )


@staff_required
@require_POST
def staff_request_attach(request, pk):
    """Attach files, internal (staff only) or shown to the customer."""
    service_request = _staff_request(request, pk)
    return _staff_page_action(
        request,
        service_request,
        StaffAttachmentForm(request.POST, request.FILES, prefix="attach"),
        lambda data: services.service_request_attach(
            acting_user=request.user,
            service_request=service_request,
            files=data["files"],
            is_internal=data["is_internal"],
        ),
        "Files attached.",
    )


# A form posted to the detail page names its action: the view that handles it.
STAFF_ACTIONS = {"update": staff_request_update, "note": staff_request_note, "attach": staff_request_attach}


@staff_required
@require_http_methods(["GET", "POST"])
def staff_request_detail(request, pk):
    action = STAFF_ACTIONS.get(request.POST.get("action")) if request.method == "POST" else None
    if action is not None:
        return action(request, pk)
    return _render_staff_detail(request, _staff_request(request, pk))


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
