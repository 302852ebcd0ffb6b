"""Accounts API: sign-up, session login/logout, own profile, and admin user management.

Each view parses input with a serializer, makes one service call and renders the
envelope. Permissions are stated on every view.
"""

import django_filters
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db.models import Q
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView

from core.api.concurrency import expected_version
from core.api.filters import StrictBooleanFilter
from core.api.idempotency import idempotent
from core.api.permissions import IsAdmin, IsStaffMember
from core.api.responses import envelope
from core.concurrency import etag_of

from .. import services
from ..lockout import LOCKED_MESSAGE, lockout_minutes
from ..models import PriorityServicesRegistration, User
from .serializers import (
    AccountUpdateSerializer,
    AdminUserCreateSerializer,
    AdminUserUpdateSerializer,
    CsrfTokenSerializer,
    LoginResultSerializer,
    LoginSerializer,
    PriorityServicesInputSerializer,
    PriorityServicesSerializer,
    PriorityServicesStatusSerializer,
    RegisterSerializer,
    UserSerializer,
)


class PublicJsonView(APIView):
    """Base of the views a visitor uses before having a session (register, login).

    No authentication means DRF skips its CSRF check, as the original README's
    flow requires (register, then log in, without a token). JSON-only parsing
    (415 for anything else) means no cross-site HTML form can drive them, and a
    cross-site script cannot send JSON without a CORS preflight we never grant.
    """

    authentication_classes = []
    permission_classes = [AllowAny]


class RegisterView(PublicJsonView):
    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer}, summary="Register a customer account")
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_register(
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            name=data["name"],
            phone_number=data["phone_number"],
            address=data["address"],
        )
        return envelope(services.REGISTERED, UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(PublicJsonView):
    @extend_schema(request=LoginSerializer, responses={200: LoginResultSerializer}, summary="Log in (starts a session)")
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            if getattr(request, "axes_locked_out", False):  # set by django-axes' backend
                raise LoginLockedOut()
            raise AuthenticationFailed("Invalid username or password.")
        # Rotates the session key and the CSRF token: clients must re-read the csrftoken cookie.
        login(request, user)
        return envelope(
            "Login successful",
            {"user": UserSerializer(user).data, "csrf_token": get_token(request)},
        )

    def get_authenticate_header(self, request):
        # Wrong credentials are a 401, as the README promises.
        return 'Session realm="api"'


class LoginLockedOut(Throttled):
    """Too many failed logins for this account or address (django-axes)."""

    def __init__(self):
        super().__init__(
            wait=settings.AXES_COOLOFF_TIME.total_seconds(),
            detail=LOCKED_MESSAGE.format(minutes=lockout_minutes()),
        )


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: None}, summary="Log out (ends the session)")
    def post(self, request):
        logout(request)
        return envelope("Logged out")


class CsrfView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: CsrfTokenSerializer}, summary="Get a CSRF token (also sets the csrftoken cookie)")
    def get(self, request):
        return envelope("CSRF cookie set", {"csrf_token": get_token(request)})


class AccountView(APIView):
    """The caller's own account."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "profile"

    @extend_schema(responses={200: UserSerializer}, summary="Get my account")
    def get(self, request):
        user = request.user
        return envelope("Account retrieved successfully", UserSerializer(user).data, headers={"ETag": etag_of(user)})

    @extend_schema(
        request=AccountUpdateSerializer, responses={200: UserSerializer}, summary="Update my contact details"
    )
    def patch(self, request):
        serializer = AccountUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new_email = services.new_email_requested(request.user, serializer.validated_data.get("email"))
        user = services.user_update_profile(
            user=request.user,
            expected_version=expected_version(request, request.user.pk),
            **serializer.validated_data,
        )
        message = "Account updated successfully"
        if new_email:
            message += f". {services.EMAIL_CHANGE_PENDING.format(email=new_email)}"
        return envelope(message, UserSerializer(user).data, headers={"ETag": etag_of(user)})

    @extend_schema(
        request=AccountUpdateSerializer, responses={200: UserSerializer}, summary="Update my contact details"
    )
    def put(self, request):
        return self.patch(request)


class UserFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, help_text="Name, email, username or customer id contains this."
    )
    role = django_filters.ChoiceFilter(choices=User.Role.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = User
        fields = ["role", "is_active"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(email__icontains=value)
            | Q(username__icontains=value)
            | Q(customer_id__icontains=value)
        )


class AdminUserListView(generics.ListAPIView):
    permission_classes = [IsAdmin]
    serializer_class = UserSerializer
    filterset_class = UserFilter
    queryset = User.objects.order_by("-date_joined", "-id")
    list_message = "Users retrieved successfully"

    @extend_schema(summary="List users (admin)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AdminUserCreateView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=AdminUserCreateSerializer, responses={201: UserSerializer}, summary="Create a user (admin)")
    @idempotent
    def post(self, request):
        serializer = AdminUserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_create(
            acting_user=request.user,
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            name=data["name"],
            phone_number=data["phone_number"],
            address=data["address"],
            role=data.get("role", User.Role.CUSTOMER),
        )
        return envelope("User created successfully", UserSerializer(user).data, status=status.HTTP_201_CREATED)


class AdminUserDetailView(generics.GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = UserSerializer
    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"

    @extend_schema(responses={200: UserSerializer}, summary="Get a user (admin)")
    def get(self, request, user_id):
        user = self.get_object()
        return envelope("User retrieved successfully", UserSerializer(user).data, headers={"ETag": etag_of(user)})

    @extend_schema(request=AdminUserUpdateSerializer, responses={200: UserSerializer}, summary="Update a user (admin)")
    def put(self, request, user_id):
        user = self.get_object()
        serializer = AdminUserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(
            acting_user=request.user,
            user=user,
            expected_version=expected_version(request, user.pk),
            **serializer.validated_data,
        )
        return envelope("User updated successfully", UserSerializer(user).data, headers={"ETag": etag_of(user)})

    @extend_schema(request=AdminUserUpdateSerializer, responses={200: UserSerializer}, summary="Update a user (admin)")
    def patch(self, request, user_id):
        return self.put(request, user_id)

    @extend_schema(responses={200: None}, summary="Delete a user without service requests (admin)")
    def delete(self, request, user_id):
        services.user_delete(acting_user=request.user, user=self.get_object())
        return envelope("User deleted successfully")


# --- Priority Services Register ------------------------------------------------------


class PriorityServicesMixin:
    """GET, PUT and DELETE one account's register entry; `get_target` says whose."""

    serializer_class = PriorityServicesStatusSerializer

    def get_target(self, request, **kwargs) -> User:
        raise NotImplementedError

    def _render(self, message, user, **kwargs):
        registration = PriorityServicesRegistration.objects.filter(user=user).first()
        data = {
            "registered": registration is not None,
            "entry": PriorityServicesSerializer(registration).data if registration else None,
        }
        return envelope(message, data, **kwargs)

    @extend_schema(
        responses={200: PriorityServicesStatusSerializer},
        summary="Get the Priority Services Register entry (entry null when not registered)",
    )
    def get(self, request, **kwargs):
        return self._render("Priority Services Register entry retrieved", self.get_target(request, **kwargs))

    @extend_schema(
        request=PriorityServicesInputSerializer,
        responses={200: PriorityServicesStatusSerializer},
        summary="Register on the Priority Services Register, or change the entry (consent required)",
    )
    def put(self, request, **kwargs):
        user = self.get_target(request, **kwargs)
        serializer = PriorityServicesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.priority_services_register(acting_user=request.user, user=user, **serializer.validated_data)
        return self._render("Priority Services Register entry saved", user)

    @extend_schema(responses={200: None}, summary="Withdraw from the Priority Services Register")
    def delete(self, request, **kwargs):
        services.priority_services_withdraw(acting_user=request.user, user=self.get_target(request, **kwargs))
        return envelope("Priority Services Register entry withdrawn")


class AccountPriorityServicesView(PriorityServicesMixin, APIView):
    """The caller's own register entry (customers)."""

    permission_classes = [IsAuthenticated]

    def get_target(self, request, **kwargs) -> User:
        return request.user


class StaffPriorityServicesView(PriorityServicesMixin, APIView):
    """Any customer's register entry, for staff taking the details by phone (agents and admins)."""

    permission_classes = [IsStaffMember]

    def get_target(self, request, user_id) -> User:
        return generics.get_object_or_404(User, pk=user_id)
