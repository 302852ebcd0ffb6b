"""The authentication backend: Django's model backend, with each request's user read from the shared cache.

Every authenticated request loads its user by id (Django's `auth.get_user`): one SQL statement
on every call of the API and the pages, the largest fixed cost after the session itself. With
a shared cache (Redis: USER_CACHE_SECONDS > 0) the user is kept there, and any save or
delete of the user drops it once the change commits, on every node at once: a deactivation,
a new password (the session hash check then logs the other sessions out) or a new role apply
from the next request.

A request that read the user just before such a commit could store the old row after the
drop. So each user has a generation, raised after every change commits; an entry carries the
generation it was read under, and one from an older generation is not served. Entries live
USER_CACHE_SECONDS (60), which also bounds a change made outside Django (raw SQL); generations
live far longer, so an entry never outlives its generation.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

GENERATION_SECONDS = 7 * 24 * 3600


def _keys(user_id) -> tuple[str, str]:
    # v1: the pickled User's shape; change it when the model's fields change.
    return f"accounts:user:v1:{user_id}", f"accounts:user-generation:{user_id}"


class CachedModelBackend(ModelBackend):
    """ModelBackend whose `get_user` (once per request) is served by the shared cache when USER_CACHE_SECONDS > 0."""

    def get_user(self, user_id):
        seconds = settings.USER_CACHE_SECONDS
        if not seconds:
            return super().get_user(user_id)
        entry_key, generation_key = _keys(user_id)
        found = cache.get_many([entry_key, generation_key])
        generation = found.get(generation_key, 0)
        entry = found.get(entry_key)
        if entry is not None and entry[0] == generation:
            user = entry[1]
            return user if self.user_can_authenticate(user) else None
        user = super().get_user(user_id)  # None when missing or inactive
        if user is not None:
            cache.set(entry_key, (generation, user), seconds)
        return user


def forget_user(user_id) -> None:
    """Stop serving the cached user once the current transaction commits (at once outside one)."""

    def forget():
        entry_key, generation_key = _keys(user_id)
        cache.add(generation_key, 0, GENERATION_SECONDS)
        try:
            cache.incr(generation_key)
        except ValueError:  # expired between the two calls
            cache.set(generation_key, 1, GENERATION_SECONDS)
        cache.delete(entry_key)

    transaction.on_commit(forget)


def user_changed(sender, instance, **kwargs) -> None:
    """post_save and post_delete of the user model (connected in AccountsConfig.ready)."""
    if instance.pk is not None:
        forget_user(instance.pk)
