"""Settings read from the environment: each case starts a fresh Python process, so none needs a database."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]

# Every variable the settings read is set empty unless a test sets it, so neither the
# developer's shell nor a `.env` file (scripts/serve.sh writes one)
# can change the outcome: real environment variables win over `.env`.
CONTROLLED = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "DB_HOST",
    "DB_PORT",
    "S3_BUCKET",
    "REDIS_URL",
    "CELERY_BROKER_URL",
)

# Reads the settings without django.setup(): no database driver is imported or connected to.
PRINT_DATABASE = (
    "import json; from django.conf import settings; print(json.dumps(settings.DATABASES['default'], default=str))"
)


def run_python(args: list[str], settings_module: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": settings_module,
        **dict.fromkeys(CONTROLLED, ""),
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def database_config(**env: str) -> dict:
    result = run_python(["-c", PRINT_DATABASE], "gas_utility.settings.base", SECRET_KEY="x" * 50, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_missing_secret_key_stops_start_up_with_a_clear_message():
    result = run_python(["-c", "import django; django.setup()"], "gas_utility.settings.base")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_without_secret_key_starts_for_local_development():
    result = run_python(
        ["-c", "import django; django.setup(); from django.conf import settings; print(bool(settings.SECRET_KEY))"],
        "gas_utility.settings.base",
        DEBUG="True",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_debug_is_off_unless_set():
    result = run_python(
        ["-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        "gas_utility.settings.base",
        SECRET_KEY="x" * 50,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_settings_refuse_debug():
    result = run_python(
        ["-c", "import django; django.setup()"],
        "gas_utility.settings.production",
        DEBUG="True",
        SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG must not be set with production settings" in result.stderr


def test_hsts_is_sent_over_https_with_production_settings():
    # gas_utility/settings/production.py itself, loaded in a fresh process: its HSTS defaults reach the response.
    script = (
        "import django; django.setup(); from django.test import Client; "
        "response = Client().get('/healthz', secure=True); "
        "print(response.status_code, response['Strict-Transport-Security'])"
    )
    result = run_python(
        ["-c", script],
        "gas_utility.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "200 max-age=31536000; includeSubDomains"


def test_db_name_selects_mysql_with_the_readme_variables():
    config = database_config(
        DB_NAME="gas_utility_db", DB_USER="gas", DB_PASSWORD="s3cret", DB_HOST="db.internal", DB_PORT="3307"
    )

    assert config["ENGINE"] == "django.db.backends.mysql"
    assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"], str(config["PORT"])) == (
        "gas_utility_db",
        "gas",
        "s3cret",
        "db.internal",
        "3307",
    )
    assert config["OPTIONS"]["charset"] == "utf8mb4"
    assert config["TEST"]["CHARSET"] == "utf8mb4"


def test_database_url_selects_postgresql_and_wins_over_db_name():
    config = database_config(
        DATABASE_URL="postgres://gas:s3cret@pg.internal:5433/gas_utility", DB_NAME="ignored_mysql_db"
    )

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"], str(config["PORT"])) == (
        "gas_utility",
        "gas",
        "s3cret",
        "pg.internal",
        "5433",
    )


def test_no_database_variables_select_sqlite():
    config = database_config()

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"]


def test_deploy_check_is_clean_with_production_settings():
    result = run_python(
        ["manage.py", "check", "--deploy"],
        "gas_utility.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_without_redis_warns_that_state_is_per_process():
    result = run_python(
        ["manage.py", "check"],
        "gas_utility.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "(jobs.W001) REDIS_URL is not set" in output, output


PRINT_STORAGE = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"


def test_s3_bucket_keeps_attachments_private_in_an_s3_compatible_store():
    result = run_python(
        ["-c", PRINT_STORAGE],
        "gas_utility.settings.base",
        SECRET_KEY="x" * 50,
        S3_BUCKET="gas-attachments",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert result.returncode == 0, result.stderr
    storage = json.loads(result.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "gas-attachments"
    assert storage["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"
    assert storage["OPTIONS"]["default_acl"] == "private"


def test_attachments_default_to_the_file_system():
    result = run_python(["-c", PRINT_STORAGE], "gas_utility.settings.base", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["BACKEND"].endswith("FileSystemStorage")


PRINT_CACHE = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE]))"
)


@pytest.mark.parametrize(
    ("redis_url", "cache", "sessions"),
    [
        ("", "django.core.cache.backends.locmem.LocMemCache", "django.contrib.sessions.backends.db"),
        (
            "redis://127.0.0.1:6379/0",
            "django.core.cache.backends.redis.RedisCache",
            "django.contrib.sessions.backends.cached_db",
        ),
    ],
)
def test_sessions_are_cached_only_in_a_shared_cache(redis_url, cache, sessions):
    result = run_python(["-c", PRINT_CACHE], "gas_utility.settings.base", SECRET_KEY="x" * 50, REDIS_URL=redis_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [cache, sessions]
