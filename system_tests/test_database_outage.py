"""A real database outage under load: no acknowledged write is lost, and the service recovers by itself.

The test starts its own MariaDB server (own data directory, socket and port), migrates it,
serves the app on it with gunicorn, and has several customers submit requests in a loop,
each with an Idempotency-Key that it retries until it is acknowledged. Midway it stops the
database server (SIGTERM) and, some seconds later, starts it again on the same data.

It checks that:
- no answer was a 500 (during the outage: 503 with Retry-After, or no answer at all);
- /readyz answers 200 again soon after the restart, without restarting gunicorn;
- every submission acknowledged (201) is in the database exactly once, and every one that
  was retried with its key is stored once (never twice, never lost once acknowledged).

Everything it starts is stopped and its directory removed, whatever happens. It runs in
CI (`.ci/run`), not in `scripts/test.sh` (it takes a minute and needs mariadbd).
Ports: OUTAGE_DB_PORT (18931) and OUTAGE_APP_PORT (18932).
"""

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import MySQLdb
import pytest

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DB_PORT = int(os.environ.get("OUTAGE_DB_PORT", "18931"))
APP_PORT = int(os.environ.get("OUTAGE_APP_PORT", "18932"))
DB_NAME = "gu_outage"
CUSTOMERS = 4
PASSWORD = "Outage-Test-Passw0rd!"
MARKER = "outage-test"


def _find(name: str, *candidates: str) -> str:
    for candidate in (shutil.which(name), *candidates):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(f"{name} is not installed: the outage test needs a MariaDB server (apt-get install mariadb-server)")


class Database:
    """A throwaway MariaDB server of our own: install, start, stop, start again."""

    def __init__(self, root: Path):
        self.datadir, self.socket = root / "data", root / "mysqld.sock"
        self.log = root / "mariadb.log"
        self.process = None

    def install(self):
        subprocess.run(
            [
                _find("mariadb-install-db", "/usr/bin/mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )

    def start(self):
        self.process = subprocess.Popen(
            [
                _find("mariadbd", "/usr/sbin/mariadbd"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--port={DB_PORT}",
                "--bind-address=127.0.0.1",
                "--user=root",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                f"--log-error={self.log}",
                f"--pid-file={self.datadir / 'mariadbd.pid'}",
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(MySQLdb.Error):
                self.connect().close()
                return
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            time.sleep(0.2)
        raise AssertionError("MariaDB did not start: " + self.log.read_text()[-2000:])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def connect(self, db: str | None = None):
        kwargs = {"db": db} if db else {}
        return MySQLdb.connect(host="127.0.0.1", port=DB_PORT, user="root", passwd="", connect_timeout=2, **kwargs)


def app_env() -> dict:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "gas_utility.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "DB_NAME": DB_NAME,
        "DB_USER": "root",
        "DB_PASSWORD": "",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(DB_PORT),
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # Every client is 127.0.0.1: per-address limits would measure the limiter, not the outage.
        "THROTTLE_LOGIN": "1000000/min",
        "THROTTLE_SUBMIT": "1000000/min",
    }


class Customer:
    """One customer over plain HTTP, keeping the session and CSRF cookies by hand (they are Secure)."""

    def __init__(self, username: str):
        self.cookies: dict[str, str] = {}
        status, body = self.call("POST", "/accounts/api/login/", {"username": username, "password": PASSWORD})
        assert status == 200, body

    def call(self, method, path, payload=None, headers=None) -> tuple[int, dict]:
        headers = {"Accept": "application/json", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            data = response.read()
            return response.status, (json.loads(data) if data else {})
        finally:
            connection.close()


def ready() -> int | None:
    with contextlib.suppress(OSError):
        connection = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=5)
        connection.request("GET", "/readyz")
        return connection.getresponse().status
    return None


def test_acknowledged_writes_survive_a_database_restart_under_load():
    root = Path(tempfile.mkdtemp(prefix="gu-outage-"))
    database, server = Database(root), None
    try:
        database.install()
        database.start()
        with contextlib.closing(database.connect()) as conn:
            conn.cursor().execute(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        env = app_env()
        python = str(BIN / "python")
        subprocess.run([python, "manage.py", "migrate", "--no-input", "-v0"], cwd=PROJECT, env=env, check=True)
        create_users = (
            "from accounts.models import User\n"
            f"for i in range({CUSTOMERS}):\n"
            f"    User.objects.create_user(f'outage{{i}}', f'outage{{i}}@example.com', '{PASSWORD}', name='Outage')\n"
        )
        subprocess.run([python, "manage.py", "shell", "-c", create_users], cwd=PROJECT, env=env, check=True)
        server = subprocess.Popen(
            [
                *(str(BIN / "gunicorn"), "gas_utility.wsgi", "--workers", "2", "--threads", "4"),
                *("--bind", f"127.0.0.1:{APP_PORT}", "--timeout", "60", "--log-level", "warning"),
            ],
            cwd=PROJECT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while ready() != 200:
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.3)

        customers = [Customer(f"outage{index}") for index in range(CUSTOMERS)]
        stop = threading.Event()
        statuses, acknowledged, attempted, lock = Counter(), {}, set(), threading.Lock()
        after_restart = Counter()
        restarted = threading.Event()

        def load(customer: Customer, index: int):
            pending = None
            while not stop.is_set() or pending is not None:
                if pending is None:
                    pending = f"{MARKER}-{index}-{uuid.uuid4().hex}"
                    with lock:
                        attempted.add(pending)
                try:
                    status, body = customer.call(
                        "POST",
                        "/api/submit/",
                        {"type_of_request": "Maintenance", "details": pending},
                        {"Idempotency-Key": pending},
                    )
                except OSError:
                    status, body = "no answer", {}
                with lock:
                    statuses[status] += 1
                    if status == 201:
                        acknowledged[pending] = body["data"]["id"]
                        if restarted.is_set():
                            after_restart[index] += 1
                if status == 201:
                    pending = None
                else:
                    time.sleep(0.2)  # retry the same key: its outcome is unknown until acknowledged
                if stop.is_set() and time.monotonic() > give_up:
                    break

        give_up = float("inf")
        threads = [threading.Thread(target=load, args=(c, i), daemon=True) for i, c in enumerate(customers)]
        for thread in threads:
            thread.start()
        time.sleep(4)
        database.stop()  # the outage, under load
        time.sleep(4)
        database.start()
        restarted.set()
        recovery_started = time.monotonic()
        while ready() != 200:
            assert time.monotonic() - recovery_started < 30, "the service did not recover within 30 s"
            time.sleep(0.2)
        recovered_after = time.monotonic() - recovery_started
        time.sleep(4)
        give_up = time.monotonic() + 30
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

        print(f"\nanswers: {dict(statuses)}; recovered {recovered_after:.1f} s after the restart")
        assert statuses[201] > 0 and statuses[503] + statuses["no answer"] > 0, statuses  # there was an outage
        assert set(statuses) <= {201, 503, "no answer"}, statuses  # never a 500
        assert all(after_restart[index] > 0 for index in range(CUSTOMERS)), after_restart
        with contextlib.closing(database.connect(DB_NAME)) as conn:
            cursor = conn.cursor()
            cursor.execute(
                "SELECT details, COUNT(*), MIN(id) FROM utility_services_servicerequest "
                "WHERE details LIKE %s GROUP BY details",
                (f"{MARKER}-%",),
            )
            stored = {details: (count, pk) for details, count, pk in cursor.fetchall()}
        duplicates = {details: count for details, (count, _) in stored.items() if count != 1}
        assert not duplicates, duplicates
        lost = {marker for marker in acknowledged if marker not in stored}
        assert not lost, f"acknowledged but not stored: {sorted(lost)}"
        assert {marker: stored[marker][1] for marker in acknowledged} == acknowledged
        # Every attempt was retried until acknowledged, so nothing is stored that nobody was told about.
        assert set(stored) == set(acknowledged) == attempted
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
        database.stop()
        shutil.rmtree(root, ignore_errors=True)
