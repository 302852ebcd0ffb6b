"""The email outbox: every email is a row written in the same transaction as the change it reports."""

import uuid

from django.db import models
from django.utils import timezone


def new_key() -> str:
    return uuid.uuid4().hex


class OutboxEmail(models.Model):
    """An email to send, sent once by a task (see `outbox.py`).

    The row commits with the change that caused it, so a crash after the commit cannot lose
    the email; `sent_at` is set when the mail server has taken it, so a task delivered twice
    sends it once. `key` deduplicates what is queued (one SLA alert per stage, say).
    """

    key = models.CharField(max_length=200, unique=True, default=new_key)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    recipients = models.JSONField(help_text="The To addresses.")
    created_at = models.DateTimeField(default=timezone.now)
    # Not before this time: set after a failure, so the retry sweep leaves a backing-off email alone.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="A worker is sending it since then.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="Given up after EMAIL_MAX_ATTEMPTS.")

    class Meta:
        indexes = [
            models.Index(fields=["sent_at", "failed_at", "next_attempt_at"], name="outbox_unsent"),
            models.Index(fields=["created_at"], name="outbox_created"),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "failed" if self.failed_at else "pending"
        return f"#{self.pk} {self.subject} ({state})"
