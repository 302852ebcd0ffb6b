"""The authentication backend: Django's model backend, with each request's user read from the shared cache.

Every authenticated request loads its user by id (Django's `auth.get_user`): one SQL statement
on every call of the API and the pages, the largest fixed cost after the session itself. With
a shared cache (Redis: USER_CACHE_SECONDS > 0) the user is kept there, and any save or
delete of the user drops it once the change commits, on every node at once: a deactivation,
a new password (the session hash check then logs the other sessions out) or a new role apply
from the next request.

A request that read the user just before such a commit could store the old row after the
drop. So each user has a generation, a random token replaced after every change commits; an
entry carries the generation it was read under, and one read under another is not served. A
token never repeats, even if Redis evicted the old one. Entries live USER_CACHE_SECONDS (60),
which also bounds a change Django sends no signal for (`QuerySet.update()`, `bulk_update()`,
SQL by hand: none is used on users; a future one must call `forget_user`).

The entry holds the pickled user, password hash included (the session check needs it): Redis
holds secrets already (sessions) and must be private to the service (docs/deployment.md). If
the cache fails, the user is read from the database.
"""

import functools
import hashlib
import logging
import uuid

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)
GENERATION_SECONDS = 7 * 24 * 3600


@functools.cache
def _shape() -> str:
    """What a pickled user depends on: the model's fields and Django's version."""
    fields = ",".join(field.attname for field in get_user_model()._meta.concrete_fields)
    return hashlib.sha256(f"{fields}|{django.get_version()}".encode()).hexdigest()[:12]


def _keys(user_id) -> tuple[str, str]:
    return f"accounts:user:{_shape()}:{user_id}", f"accounts:user-generation:{user_id}"


class CachedModelBackend(ModelBackend):
    """ModelBackend whose `get_user` (once per request) is served by the shared cache when USER_CACHE_SECONDS > 0."""

    def get_user(self, user_id):
        seconds = settings.USER_CACHE_SECONDS
        if not seconds:
            return super().get_user(user_id)
        entry_key, generation_key = _keys(user_id)
        try:
            found = cache.get_many([entry_key, generation_key])
        except Exception:  # the cache is down: the database still answers
            logger.exception("User cache unavailable; reading user %s from the database", user_id)
            return super().get_user(user_id)
        generation = found.get(generation_key)
        entry = found.get(entry_key)
        if entry is not None and entry[0] == generation:
            user = entry[1]
            return user if self.user_can_authenticate(user) else None
        user = super().get_user(user_id)  # None when missing or inactive
        if user is not None:
            try:
                cache.set(entry_key, (generation, user), seconds)
            except Exception:
                logger.exception("User cache unavailable; user %s not cached", user_id)
        return user


def forget_user(user_id) -> None:
    """Stop serving the cached user once the current transaction commits (at once outside one)."""

    def forget():
        entry_key, generation_key = _keys(user_id)
        cache.set(generation_key, uuid.uuid4().hex, GENERATION_SECONDS)
        cache.delete(entry_key)

    # robust: a cache error must not stop the transaction's other hooks (the outbox's, say).
    transaction.on_commit(forget, robust=True)


def user_changed(sender, instance, **kwargs) -> None:
    """post_save and post_delete of the user model (connected in AccountsConfig.ready)."""
    if instance.pk is not None:
        forget_user(instance.pk)
