"""Emails about accounts (email-address changes, registrations with an address already in use).

Sent after the transaction commits, as utility_services.notifications does: a failing mail
server is logged, never raised, and never undoes the change. Subjects and bodies are
templates under `templates/accounts/email/`.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)


def _send_after_commit(template: str, recipients: list[str], context: dict) -> None:
    recipients = [address for address in recipients if address]
    if not recipients:
        return
    context = {**context, "site_url": settings.SITE_URL}

    def send():
        try:
            subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
            body = render_to_string(f"accounts/email/{template}_body.txt", context)
            send_mail(" ".join(subject.split()), body, None, recipients)
        except Exception:
            logger.exception("Could not send the %s email", template)

    transaction.on_commit(send)


def masked(address: str) -> str:
    """'carol.new@example.com' -> 'c***@example.com': enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def send_email_change_link(user, new_email: str, token: str) -> None:
    """Ask the new address to confirm it; the change happens only when the link is followed."""
    link = settings.SITE_URL.rstrip("/") + reverse("email-change-confirm", args=[token])
    _send_after_commit("email_change_confirm", [new_email], {"user": user, "new_email": new_email, "link": link})


def notify_old_address_of_email_change_request(user, new_email: str) -> None:
    """Tell the current address that someone asked to move the account to another one."""
    _send_after_commit("email_change_requested", [user.email], {"user": user, "new_email_masked": masked(new_email)})


def notify_old_address_of_email_change(user, old_email: str) -> None:
    """Tell the previous address that the account's sign-in email has changed."""
    _send_after_commit("email_changed", [old_email], {"user": user, "new_email_masked": masked(user.email)})


def notify_address_already_registered(address: str, attempt: str) -> None:
    """Tell an address's owner that someone tried to use it for another account (nothing changed).

    `attempt` is "registration" or "email_change". The person who tried is told nothing
    different, so nobody can learn from an answer which addresses have accounts.
    """
    _send_after_commit("address_in_use", [address], {"address": address, "attempt": attempt})
