"""Role-based permissions shared by every app's API."""

from rest_framework.permissions import BasePermission


class IsStaffMember(BasePermission):
    """Agents and admins: the people who work service requests."""

    message = "This endpoint is for support staff (agents and admins) only."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsAdmin(BasePermission):
    """Admins only: user management."""

    message = "This endpoint is for administrators only."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)


class IsEngineer(BasePermission):
    """Engineers (field staff): the emergencies dispatched to them, nothing else."""

    message = "This endpoint is for engineers only."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_engineer)
