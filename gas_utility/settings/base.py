"""Settings shared by every environment, read from the environment (and `.env`).

`manage.py` uses this module; `wsgi.py`/`asgi.py` use `production`, tests use `test`, and
`scripts/serve.sh` uses `local` (development). Settings equal to Django's defaults are not
restated here.
Every variable is documented in `.env.example`.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A `.env` file is optional; real environment variables win over it. ENV_FILE names another file,
# or none when empty (benchmarks/run.py: its servers run on its own settings, whatever .env says).
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=True for local development."
        )
    # Local development only: a throwaway key, new at every start.
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_celery_beat",
    "core",
    "accounts",
    "jobs",
    "utility_services",
    "emergencies",
    "open311",
    "benchmarks",
]

MIDDLEWARE = [
    "core.ops.observability.RequestIdMiddleware",
    "core.ops.limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.api.middleware.ApiErrorEnvelopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check: every POST to a login, register or reset form counts.
    "core.api.throttling.CredentialRateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.ops.caching.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into our lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gas_utility.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "gas_utility.wsgi.application"


# Database: DATABASE_URL for any database; otherwise the original README's DB_*
# variables select MySQL/MariaDB; otherwise an embedded SQLite file.
def _database_config() -> dict:
    if env.str("DATABASE_URL", default=""):
        config = env.db("DATABASE_URL")
    elif env.str("DB_NAME", default=""):
        config = {
            "ENGINE": "django.db.backends.mysql",
            "NAME": env.str("DB_NAME"),
            "USER": env.str("DB_USER", default="root"),
            "PASSWORD": env.str("DB_PASSWORD", default=""),
            "HOST": env.str("DB_HOST", default="localhost"),
            "PORT": env.str("DB_PORT", default="3306"),
        }
    else:
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
        }

    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    if engine.endswith("mysql"):
        options.setdefault("charset", "utf8mb4")
        # Strict mode: MySQL must reject bad data, never truncate it silently.
        options.setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        options.setdefault("isolation_level", "read committed")
        config.setdefault("TEST", {}).setdefault("CHARSET", "utf8mb4")
        config["TEST"].setdefault("COLLATION", "utf8mb4_unicode_ci")
    elif engine.endswith("sqlite3"):
        # SQLite ignores SELECT ... FOR UPDATE: take the write lock at BEGIN instead.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        options.setdefault("timeout", 20)
    if not engine.endswith("sqlite3"):
        config.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        config.setdefault("CONN_HEALTH_CHECKS", True)
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Refuses locked-out logins before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with the user of each request served by the shared cache.
    "accounts.backends.CachedModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Password-reset links stay valid for a day.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "accounts.validators.ClearCommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Uploaded files (attachments): the local file system, or any S3-compatible store when
# S3_BUCKET is set. Either way they are private: the API streams them to allowed users only.
_default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if env.str("S3_BUCKET", default=""):
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Cache: Redis when REDIS_URL is set (shared by every worker: sessions, throttles), else
# per-process memory. Sessions are read from the cache and written through to the
# database only when the cache is shared; a per-process cache would let a logged-out
# session live on in other workers.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Each request's user is kept this many seconds in the shared cache (accounts/backends.py); 0 reads
# it from the database every time, as without Redis: a cache per process would not see changes
# made through another process.
USER_CACHE_SECONDS = env.int("USER_CACHE_SECONDS", default=60 if REDIS_URL else 0)

# Sessions and CSRF: the API is session-authenticated; JavaScript clients read the
# csrftoken cookie (or GET /accounts/api/csrf/) and echo it in X-CSRFToken.
# Django's defaults stand: the session cookie is HttpOnly, both cookies are SameSite=Lax, and the
# csrftoken cookie is not HttpOnly (the API's clients must be able to read it).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=int(timedelta(hours=12).total_seconds()))
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# Benchmarks only: count SQL queries per request (X-DB-Queries) and mount the ceiling view.
BENCHMARK = env.bool("BENCHMARK", default=False)
if BENCHMARK:
    MIDDLEWARE.insert(0, "benchmarks.middleware.QueryCountMiddleware")

# Abuse limits. Behind a reverse proxy, set TRUSTED_PROXY_COUNT to the number of proxies
# that append to X-Forwarded-For; otherwise every client shares the proxy's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Login lockout (django-axes, see accounts/lockout.py): failures over LOGIN_LOCKOUT_MINUTES are
# counted per account from one address, per address, and per account; reaching any limit
# blocks logging in (429). A success clears only that account's failures from that address.
# Admins read every failure (Axes > Access failures) and unlock in the Django admin or with
# `manage.py axes_reset_username NAME` (names are counted lower-cased).
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# Documents the scopes; LockoutHandler counts them with their own limits.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# Attempts made while blocked do not extend the block: it ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.ops.network.client_ip"
AXES_VERBOSE = False
# Request rates, as DRF writes them (see core/api/throttling.py). Credential entries (login,
# register, password_reset) count per client address, across the API, the pages and the
# admin; the others count each user's writes, across the API and the pages.
API_THROTTLE_RATES = {
    "login": env.str("THROTTLE_LOGIN", default="20/min"),
    "register": env.str("THROTTLE_REGISTER", default="10/hour"),
    "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
    # Anonymous emergency reports, per client address (a refused report still shows the number).
    "emergency_report": env.str("THROTTLE_EMERGENCY_REPORT", default="10/hour"),
    "submit": env.str("THROTTLE_SUBMIT", default="30/hour"),
    "comment": env.str("THROTTLE_COMMENT", default="30/hour"),
    "note": env.str("THROTTLE_NOTE", default="300/hour"),
    "attachment": env.str("THROTTLE_ATTACHMENT", default="30/hour"),
    "profile": env.str("THROTTLE_PROFILE", default="20/hour"),
}

# Request size limits (413 beyond them): JSON and form bodies, and multipart uploads.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=1024 * 1024)

# Content-Security-Policy for the pages: everything from our own origin, nothing inline.
# Swagger UI (inline bootstrap script) and the Django admin keep Django's defaults.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Django's defaults send Referrer-Policy: same-origin, X-Content-Type-Options: nosniff and
# X-Frame-Options: DENY.

# Paths that belong to the JSON API: every error under them is a JSON envelope.
API_PATH_PREFIXES = ("/api/", "/accounts/api/")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.api.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.EnvelopePagination",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.ScopedThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.api_exception_handler",
    "PAGE_SIZE": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Gas Utility Service API",
    "DESCRIPTION": (
        "Service desk for a gas utility. Session authentication: log in with "
        "POST /accounts/api/login/, then send the csrftoken cookie's value in the "
        "X-CSRFToken header on every unsafe request. Every success is "
        '{"message", "data"}; every failure is {"error", "details"}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.envelope_postprocessing_hook",
        "utility_services.schema.catalogue_postprocessing_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ServiceRequestStatusEnum": "utility_services.models.ServiceRequestStatus",
        "RoleEnum": "accounts.models.User.Role",
        "ClassificationEnum": "emergencies.models.Classification",
        "EmergencyEventKindEnum": "emergencies.models.EventKind",
        "RequestEventKindEnum": "utility_services.models.RequestEvent.Kind",
    },
}

# Lists count at most this many matching rows (see core.api.pagination.CappedCountPaginator).
PAGINATION_COUNT_LIMIT = env.int("PAGINATION_COUNT_LIMIT", default=10000)
# ... and, when there is a next page, at most this many rows past the page's start (a page that
# ends the list is counted from its own rows, with no COUNT query at all).
PAGINATION_COUNT_AHEAD = env.int("PAGINATION_COUNT_AHEAD", default=1000)
# ... and a search's matches at most this many.
SEARCH_COUNT_LIMIT = env.int("SEARCH_COUNT_LIMIT", default=200)
# A search word matching more requests than this is checked row by row, not by the full-text
# index (see search.py); how many it matches is estimated on SEARCH_SAMPLE requests, read in
# SEARCH_SAMPLE_SLICES ranges of ids spread from the oldest to the newest.
SEARCH_DENSE_MATCHES = env.int("SEARCH_DENSE_MATCHES", default=5000)
SEARCH_SAMPLE = env.int("SEARCH_SAMPLE", default=2000)
SEARCH_SAMPLE_SLICES = env.int("SEARCH_SAMPLE_SLICES", default=8)
# ... and only if it is cheaper than walking the list: one match taken from the full-text index
# (joined, sorted) costs about as much as checking this many rows (MariaDB: ~10 us against ~1.5 us).
SEARCH_FULLTEXT_COST = env.float("SEARCH_FULLTEXT_COST", default=8.0)

# Limits of the service-request workflow.
SERVICE_REQUEST_DETAILS_MAX_LENGTH = env.int("SERVICE_REQUEST_DETAILS_MAX_LENGTH", default=5000)

# The public address of the site, for links in emails sent outside a request (e.g. confirm a new email address).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Gas Utility Service <no-reply@localhost>")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# json: one JSON object per line (production); plain: readable lines (local development).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.ops.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.ops.observability.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request errors are logged once, by core.api.exceptions, without request bodies.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # runserver's own access log duplicates ours.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Without collectstatic (development, tests), serve static files from the apps directly.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Service-request lifecycle ---------------------------------------------
# Days after resolution during which a customer may reopen their request.
SERVICE_REQUEST_REOPEN_DAYS = env.int("SERVICE_REQUEST_REOPEN_DAYS", default=14)
# Shown in every emergency safety notice (the UK's national gas emergency number by default).
EMERGENCY_PHONE_NUMBER = env.str("EMERGENCY_PHONE_NUMBER", default="0800 111 999")
# Who is alerted by email of every emergency submission.
EMERGENCY_ONCALL_EMAIL = env.list("EMERGENCY_ONCALL_EMAIL", default=["oncall@localhost"])
# --- Gas emergencies (the `emergencies` app) -----------------------------------
# An unattended emergency shows "at risk" this many minutes before its deadline.
EMERGENCY_AT_RISK_MINUTES = env.int("EMERGENCY_AT_RISK_MINUTES", default=15)
# Escalation (manage.py escalate_emergencies): alert the on-call address when an emergency is
# still not dispatched this many minutes after receipt...
EMERGENCY_DISPATCH_ALERT_MINUTES = env.int("EMERGENCY_DISPATCH_ALERT_MINUTES", default=10)
# ... or not attended this many minutes before its deadline.
EMERGENCY_ATTEND_ALERT_MINUTES = env.int("EMERGENCY_ATTEND_ALERT_MINUTES", default=15)
# Who may record the supervisor's review: admins, and these agents (usernames).
EMERGENCY_SUPERVISOR_USERNAMES = env.list("EMERGENCY_SUPERVISOR_USERNAMES", default=[])
# --- Open311 GeoReport v2 (/open311/v2/) ----------------------------------------
# Only needed when the endpoint serves several jurisdictions; when set, a request naming
# another jurisdiction_id is a 404.
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="")
# agency_responsible on every request.
OPEN311_AGENCY_RESPONSIBLE = env.str("OPEN311_AGENCY_RESPONSIBLE", default="Gas Utility Service")
# The discovery document's contact and key_service texts, and its endpoint type (production or test).
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="Write to the gas utility's service desk.")
OPEN311_KEY_SERVICE = env.str(
    "OPEN311_KEY_SERVICE", default="API keys are issued by the utility's administrators: ask the service desk."
)
OPEN311_ENDPOINT_TYPE = env.str("OPEN311_ENDPOINT_TYPE", default="production")
# Rates, as requests/period: each API key (unless its application sets its own), and reads
# without a key, per client address. Counters live in the default cache (Redis when set).
OPEN311_KEY_RATE = env.str("OPEN311_KEY_RATE", default="60/min")
OPEN311_READ_RATE = env.str("OPEN311_READ_RATE", default="300/min")
# The dispatch board page refreshes itself this often, in seconds (0: never).
EMERGENCY_BOARD_REFRESH_SECONDS = env.int("EMERGENCY_BOARD_REFRESH_SECONDS", default=30)
# The utility's calendar, for the emergency reports (emergencies.local_time; checked at start-up
# by `manage.py check`): its time zone (an IANA name), its business hours on business days
# (Monday to Friday, not holidays; start inclusive, end exclusive), and the public holidays of
# a country and subdivision as the `holidays` package names them (GB/ENG: England and Wales).
UTILITY_TIME_ZONE = env.str("UTILITY_TIME_ZONE", default="Europe/London")
UTILITY_BUSINESS_HOURS_START = env.str("UTILITY_BUSINESS_HOURS_START", default="08:00")
UTILITY_BUSINESS_HOURS_END = env.str("UTILITY_BUSINESS_HOURS_END", default="17:00")
UTILITY_HOLIDAY_COUNTRY = env.str("UTILITY_HOLIDAY_COUNTRY", default="GB")
UTILITY_HOLIDAY_SUBDIVISION = env.str("UTILITY_HOLIDAY_SUBDIVISION", default="ENG")
# The month a reporting year starts in: 1 for calendar years, 4 for April to March.
EMERGENCY_REPORT_YEAR_START_MONTH = env.int("EMERGENCY_REPORT_YEAR_START_MONTH", default=1)
# Attachments: JPEG, PNG and PDF only (checked from the content), at most this big and this many.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_PER_REQUEST = env.int("ATTACHMENT_MAX_PER_REQUEST", default=5)
# Uploads above Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) go to a temporary file instead of memory.

# --- Job queue and scheduler (Celery) ------------------------------------------------------
# Tasks go through Redis (CELERY_BROKER_URL, default REDIS_URL) to `celery -A gas_utility worker`;
# `celery -A gas_utility beat` enqueues the periodic jobs below. Without a broker (scripts/serve.sh)
# tasks run eagerly, in the process that enqueues them: nothing else needs to run.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it finishes, not when it starts: a worker that dies mid-task
# leaves it to be delivered again (tasks are written to be run twice safely).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged task (its worker died) is handed out again after this many seconds. Keep it
# above every retry countdown (PITFALLS: a later ETA would be delivered twice).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for abandoned tasks every visibility_timeout / 10 seconds, at least every 10 s.
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# django-celery-beat keeps the schedule in the database: admins see, pause and re-time the jobs
# in the Django admin (Periodic tasks). beat copies CELERY_BEAT_SCHEDULE there when it starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The periodic jobs. To add one, write a task and add one line here: name -> task, every N seconds.
# Each job is a scan that finds its own work (no far-future ETAs), safe to run twice.
CELERY_BEAT_SCHEDULE = {
    "escalate-emergencies": {"task": "emergencies.tasks.escalate_emergencies", "schedule": 60.0},
    "escalate-overdue-requests": {"task": "utility_services.tasks.escalate_overdue_requests", "schedule": 60.0},
    # The staff queue's stored order (ServiceRequest.urgency) puts overdue requests first.
    "mark-overdue-requests": {"task": "utility_services.tasks.mark_overdue_requests", "schedule": 60.0},
    # GET /api/admin/stats/ with no filter serves this snapshot (utility_services/reports.py).
    "snapshot-request-stats": {"task": "utility_services.tasks.snapshot_request_stats", "schedule": 60.0},
    "retry-unsent-emails": {"task": "jobs.tasks.retry_unsent_emails", "schedule": 60.0},
    "restart-stalled-exports": {"task": "utility_services.tasks.restart_stalled_exports", "schedule": 300.0},
    "purge-expired-records": {"task": "jobs.tasks.purge_expired_records", "schedule": 3600.0},
    "purge-expired-exports": {"task": "utility_services.tasks.purge_expired_exports", "schedule": 3600.0},
}

# Outbox: every email is a row written with the change, then sent by a task (jobs/outbox.py).
# Give up on an email after this many failed attempts (retried with exponential backoff).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=10)
# Seconds a worker may take to send one email before another may try it (it died mid-send).
EMAIL_SEND_LEASE_SECONDS = env.int("EMAIL_SEND_LEASE_SECONDS", default=120)
# Sent emails are kept this many days (audit), then purged.
EMAIL_OUTBOX_RETENTION_DAYS = env.int("EMAIL_OUTBOX_RETENTION_DAYS", default=30)
# Idempotency keys are replayed for at least this many hours, then purged.
IDEMPOTENCY_KEY_RETENTION_HOURS = env.int("IDEMPOTENCY_KEY_RETENTION_HOURS", default=24)

# The statistics over every request are a snapshot taken every minute; one older than this has
# expired (beat stopped) and they are computed on each call again.
STATS_SNAPSHOT_MAX_AGE = timedelta(seconds=env.int("STATS_SNAPSHOT_MAX_AGE_SECONDS", default=300))

# SLA escalation: an open request past its due time alerts its assignee, or the queue owner when
# nobody is assigned; SLA_SECOND_STAGE_HOURS later, the queue owner too. Each stage once per request.
SLA_QUEUE_OWNER_EMAIL = env.list("SLA_QUEUE_OWNER_EMAIL", default=["service-desk@localhost"])
SLA_SECOND_STAGE_HOURS = env.int("SLA_SECOND_STAGE_HOURS", default=24)
# Requests escalated per run at most (the next run continues), so a backlog cannot stall the worker.
SLA_ESCALATION_BATCH = env.int("SLA_ESCALATION_BATCH", default=500)

# CSV exports of the staff queue: up to EXPORT_SYNC_MAX_ROWS rows stream at once from
# GET /api/admin/requests/export/; more are built by a task and offered as a download.
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=10000)
# Hours a finished export can be downloaded before it is deleted.
EXPORT_RETENTION_HOURS = env.int("EXPORT_RETENTION_HOURS", default=24)
