"""Account pages: register, log in (Django's view, our template), profile.

Password reset and change are Django's own views with our templates (see urls.py).
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.api.throttling import page_rate_limited, too_many_message
from core.exceptions import ServiceError

from . import services
from .forms import PasswordResetForm, PriorityServicesForm, ProfileForm, RegistrationForm
from .lockout import clear_account_lockout
from .models import PriorityServicesRegistration, User


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset-by-email; rate limited per address (core.api.throttling) so it cannot flood inboxes.

    Its email goes through the outbox like every other (`forms.PasswordResetForm`).
    """

    form_class = PasswordResetForm


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password form; the owner has proved their mailbox, so their account's lockout ends."""

    def form_valid(self, form):
        response = super().form_valid(form)
        clear_account_lockout(form.user)
        return response


class LoginView(auth_views.LoginView):
    """Django's login, landing staff on the queue, engineers on their emergencies, customers on their requests."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        user = self.request.user
        if user.is_staff:
            return reverse("staff-queue")
        return reverse("engineer-home" if user.is_engineer else "portal-request-list")


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("portal-request-list")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_register(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                name=data["name"],
                phone_number=data["phone_number"],
                address=data["address"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Not logged in at once: the answer must be the same for an address that already had an account.
            messages.success(request, services.REGISTERED)
            return redirect("login")
    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {field: getattr(user, field) for field in ("name", "email", "phone_number", "address")}
    form = ProfileForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        wait = page_rate_limited(request, "profile")
        if wait:
            form.add_error(None, too_many_message(wait))
            status = 429
        else:
            data = form.cleaned_data
            new_email = services.new_email_requested(user, data.get("email"))
            try:
                services.user_update_profile(user=user, **data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            except ServiceError as exc:
                form.add_error("current_password" if "current_password" in exc.details else None, exc.message)
            else:
                messages.success(request, "Your contact details were saved.")
                if new_email:
                    messages.info(request, services.EMAIL_CHANGE_PENDING.format(email=new_email))
                return redirect("profile")
    registration = PriorityServicesRegistration.objects.filter(user=user).first()
    return render(request, "accounts/profile.html", {"form": form, "registration": registration}, status=status)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_http_methods(["GET", "POST"])
def email_change_confirm(request, token):
    """The link sent to a new email address: shows the change, and applies it on POST.

    A POST, not the GET: mail scanners open links, and must not change an account by doing so.
    """
    try:
        change = services.email_change_of(token)
    except ValidationError as exc:
        return render(request, "accounts/email_change_confirm.html", {"error": exc.messages[0]}, status=400)
    if request.method == "POST":
        try:
            services.user_confirm_email_change(token=token)
        except ValidationError as exc:
            return render(request, "accounts/email_change_confirm.html", {"error": exc.messages[0]}, status=400)
        messages.success(request, f"Your email address is now {change['email']}.")
        return redirect("profile" if request.user.is_authenticated else "login")
    return render(request, "accounts/email_change_confirm.html", {"new_email": change["email"]})


@login_required
@require_http_methods(["GET", "POST"])
def priority_services(request):
    """My Priority Services Register entry: join (with consent), change it, or withdraw."""
    user = request.user
    if user.role != User.Role.CUSTOMER:
        raise PermissionDenied("The Priority Services Register is for customer accounts.")
    registration = PriorityServicesRegistration.objects.filter(user=user).first()
    action = request.POST.get("action") if request.method == "POST" else None
    initial = {"categories": registration.categories, "needs": registration.needs} if registration else None
    form = PriorityServicesForm(request.POST if action == "register" else None, initial=initial)
    if action == "withdraw":
        try:
            services.priority_services_withdraw(acting_user=user, user=user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "You are no longer on the Priority Services Register.")
        return redirect("priority-services")
    if action == "register" and form.is_valid():
        try:
            services.priority_services_register(acting_user=user, user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "You are on the Priority Services Register.")
            return redirect("priority-services")
    return render(request, "accounts/priority_services.html", {"form": form, "registration": registration})
