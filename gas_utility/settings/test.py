"""Test settings: `base` with fast password hashing and an in-memory outbox."""

import os
import tempfile

# Tests need no secret; production refuses to start without one.
os.environ.setdefault("SECRET_KEY", "insecure-test-only-key")

from .base import *  # noqa: F403

# PBKDF2 costs ~0.4 s per check here; tests need speed, not strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A fresh directory per process, unless the environment names one (scripts/fuzz.py shares it
# between its setup and the server's workers).
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or tempfile.mkdtemp(prefix="gas-utility-test-media-")
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run in the test process, whatever REDIS_URL the developer's shell has.
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
