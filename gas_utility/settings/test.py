"""Test settings: `base` with fast password hashing and an in-memory outbox."""

import os

# Tests need no secret; production refuses to start without one.
os.environ.setdefault("SECRET_KEY", "insecure-test-only-key")

from .base import *  # noqa: F403

# PBKDF2 costs ~0.4 s per check here; tests need speed, not strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Uploaded files live in memory: tests write nothing to disk, and a test that checks stored files
# starts from an empty store (testing/storage.py). scripts/fuzz.py names a MEDIA_ROOT: its setup and
# its server's workers are separate processes that must share the files, so it gets the file system.
if os.environ.get("MEDIA_ROOT"):
    MEDIA_ROOT = os.environ["MEDIA_ROOT"]
else:
    STORAGES = {**STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run in the test process, whatever REDIS_URL the developer's shell has.
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
