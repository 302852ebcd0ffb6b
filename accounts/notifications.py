"""Emails about accounts (email-address changes, registrations with an address already in use).

Queued with the change through the project's email outbox (`jobs.outbox.queue_email`), as
utility_services.notifications does: a crash cannot lose one, a failing mail server is retried
and never undoes the change. Subjects and bodies are templates under `templates/accounts/email/`.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from jobs.outbox import queue_email


def _queue(template: str, recipients: list[str], context: dict) -> None:
    context = {**context, "site_url": settings.SITE_URL}
    queue_email(
        subject=render_to_string(f"accounts/email/{template}_subject.txt", context),
        body=render_to_string(f"accounts/email/{template}_body.txt", context),
        to=recipients,
    )


def masked(address: str) -> str:
    """'carol.new@example.com' -> 'c***@example.com': enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def send_email_change_link(user, new_email: str, token: str) -> None:
    """Ask the new address to confirm it; the change happens only when the link is followed."""
    link = settings.SITE_URL.rstrip("/") + reverse("email-change-confirm", args=[token])
    _queue("email_change_confirm", [new_email], {"user": user, "new_email": new_email, "link": link})


def notify_old_address_of_email_change_request(user, new_email: str) -> None:
    """Tell the current address that someone asked to move the account to another one."""
    _queue("email_change_requested", [user.email], {"user": user, "new_email_masked": masked(new_email)})


def notify_old_address_of_email_change(user, old_email: str) -> None:
    """Tell the previous address that the account's sign-in email has changed."""
    _queue("email_changed", [old_email], {"user": user, "new_email_masked": masked(user.email)})


def notify_address_already_registered(address: str, attempt: str) -> None:
    """Tell an address's owner that someone tried to use it for another account (nothing changed).

    `attempt` is "registration" or "email_change". The person who tried is told nothing
    different, so nobody can learn from an answer which addresses have accounts.
    """
    _queue("address_in_use", [address], {"address": address, "attempt": attempt})
