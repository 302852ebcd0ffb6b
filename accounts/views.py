"""Account pages: register, log in (Django's view, our template), profile.

Password reset and change are Django's own views with our templates (see urls.py).
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.exceptions import ServiceError
from core.throttling import page_rate_limited

from . import services
from .forms import ContactDetailsForm, PasswordResetForm, PriorityServicesForm, RegistrationForm
from .models import PriorityServicesRegistration, User


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset-by-email, rate limited per address so it cannot be used to flood inboxes."""

    form_class = PasswordResetForm

    def form_valid(self, form):
        wait = page_rate_limited(self.request, "password_reset")
        if wait:
            return _too_many(self.request, form, self.form_invalid, wait)
        return super().form_valid(form)


def _too_many(request, form, render_invalid, wait: int):
    form.add_error(None, f"Too many attempts from here. Please try again in {max(1, wait // 60)} minutes.")
    response = render_invalid(form)
    response.status_code = 429
    response["Retry-After"] = str(wait)
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
        wait = page_rate_limited(request, "register")
        if wait:
            return _too_many(request, form, lambda f: render(request, "accounts/register.html", {"form": f}), wait)
        data = form.cleaned_data
        try:
            user = services.user_register(
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
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.name}. Your customer id is {user.customer_id}.")
            return redirect("portal-request-list")
    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {field: getattr(user, field) for field in ("name", "email", "phone_number", "address")}
    form = ContactDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your contact details were saved.")
            return redirect("profile")
    registration = PriorityServicesRegistration.objects.filter(user=user).first()
    return render(request, "accounts/profile.html", {"form": form, "registration": registration})


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
