"""Template context every page needs."""

from django.conf import settings


def site(request) -> dict:
    """The emergency number, shown on every page."""
    return {"emergency_phone": settings.EMERGENCY_PHONE_NUMBER}
