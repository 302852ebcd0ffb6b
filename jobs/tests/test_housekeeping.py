"""Periodic clean-up and the deployment check."""

from datetime import timedelta
from importlib import import_module

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.models import IdempotencyKey
from jobs import tasks
from jobs.checks import shared_state_check
from jobs.models import OutboxEmail
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def _aged(model, field, age, **fields):
    row = model.objects.create(**fields)
    model.objects.filter(pk=row.pk).update(**{field: timezone.now() - age})
    return row


def test_purge_deletes_only_what_has_expired(settings):
    user = UserFactory()
    keep_hours = timedelta(hours=settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
    old_key = _aged(IdempotencyKey, "created_at", keep_hours + timedelta(minutes=1), user=user, key="old")
    new_key = _aged(IdempotencyKey, "created_at", keep_hours - timedelta(minutes=1), user=user, key="new")
    attempt = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "x", "http_accept": "*", "path_info": "/"}
    cool_off = settings.AXES_COOLOFF_TIME
    old_attempt = _aged(
        AccessAttempt, "attempt_time", cool_off + timedelta(minutes=1), **attempt, failures_since_start=5
    )
    new_attempt = _aged(
        AccessAttempt,
        "attempt_time",
        cool_off - timedelta(minutes=1),
        **{**attempt, "username": "y"},
        failures_since_start=1,
    )
    old_log = _aged(AccessFailureLog, "attempt_time", cool_off + timedelta(minutes=1), **attempt)
    new_log = _aged(AccessFailureLog, "attempt_time", cool_off - timedelta(minutes=1), **attempt)
    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    live = import_module(django_settings.SESSION_ENGINE).SessionStore()
    live.create()
    retention = timedelta(days=settings.EMAIL_OUTBOX_RETENTION_DAYS)
    old_email = OutboxEmail.objects.create(subject="old", body="", recipients=["a@example.com"])
    OutboxEmail.objects.filter(pk=old_email.pk).update(sent_at=timezone.now() - retention - timedelta(hours=1))
    unsent_old = OutboxEmail.objects.create(subject="unsent", body="", recipients=["a@example.com"])
    OutboxEmail.objects.filter(pk=unsent_old.pk).update(created_at=timezone.now() - retention * 2)

    counts = tasks.purge_expired_records.delay().get()

    assert counts == {"idempotency_keys": 1, "access_attempts": 1, "access_failure_logs": 1, "outbox_emails": 1}
    assert set(IdempotencyKey.objects.values_list("pk", flat=True)) == {new_key.pk}
    assert set(AccessAttempt.objects.values_list("pk", flat=True)) == {new_attempt.pk}
    assert set(AccessFailureLog.objects.values_list("pk", flat=True)) == {new_log.pk}
    assert set(Session.objects.values_list("session_key", flat=True)) == {live.session_key}
    assert set(OutboxEmail.objects.values_list("pk", flat=True)) == {unsent_old.pk}  # never sent: kept
    assert not IdempotencyKey.objects.filter(pk=old_key.pk).exists()
    assert not AccessAttempt.objects.filter(pk=old_attempt.pk).exists()
    assert not AccessFailureLog.objects.filter(pk=old_log.pk).exists()


def test_every_periodic_job_names_a_registered_task():
    from gas_utility.celery import app

    app.loader.import_default_modules()
    for name, entry in django_settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name


@pytest.mark.parametrize(
    ("production", "redis_url", "warned"), [(True, "", True), (True, "redis://r/0", False), (False, "", False)]
)
def test_production_without_redis_is_a_warning(settings, production, redis_url, warned):
    settings.PRODUCTION, settings.REDIS_URL = production, redis_url

    assert [message.id for message in shared_state_check(None)] == (["jobs.W001"] if warned else [])
