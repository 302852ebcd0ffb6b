"""Two app nodes, one state: prove that the service shares everything through MariaDB and Redis.

    .venv/bin/python scripts/two_nodes.py          # needs MariaDB and Redis on 127.0.0.1

Starts, from the Procfile's own command lines, two `web` nodes (gunicorn, production settings)
on two ports, the `beat` scheduler and a Celery `worker`, all on one MariaDB database and one
Redis, plus a local SMTP sink that counts what is delivered. Then checks, over HTTP:

1. a session made on node A works on node B (and a logout on B ends it on A);
2. rate limits count across both nodes;
3. an Idempotency-Key retried on the other node returns the first response;
4. an ETag from A is honoured by B (and a stale one refused);
5. an email enqueued while no worker runs is delivered exactly once after one starts;
6. killing the worker mid-send (SIGKILL, in the middle of the SMTP conversation) loses no
   email and sends none twice;
7. login lockouts count across both nodes.

It prints each check and, for the worker-kill test, the tasks delivered, retried and
deduplicated (from the worker's log). Exit status 0 when every check passes. Every wait is
bounded; everything listens on 127.0.0.1; every process it started is stopped at the end.

Environment: DB_NAME (default gas_utility_two_nodes, dropped and created), DB_USER,
DB_PASSWORD, DB_HOST, DB_PORT; REDIS_URL (cache, sessions, throttles; default
redis://127.0.0.1:6379/10) and CELERY_BROKER_URL (default redis://127.0.0.1:6379/13): both
databases are emptied (FLUSHDB) first; PORT_BASE (default 19000): nodes on +1 and +2, SMTP on +25.
"""

import asyncio
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import MySQLdb
import redis
from aiosmtpd.controller import Controller

PROJECT = Path(__file__).resolve().parent.parent
PORT_BASE = int(os.environ.get("PORT_BASE", "19000"))
NODE_A, NODE_B, SMTP_PORT = PORT_BASE + 1, PORT_BASE + 2, PORT_BASE + 25
DB = {
    "DB_NAME": os.environ.get("DB_NAME", "gas_utility_two_nodes"),
    "DB_USER": os.environ.get("DB_USER", "root"),
    "DB_PASSWORD": os.environ.get("DB_PASSWORD", ""),
    "DB_HOST": os.environ.get("DB_HOST", "127.0.0.1"),
    "DB_PORT": os.environ.get("DB_PORT", "3306"),
}
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
PASSWORD = "Two-Nodes-Check-" + secrets.token_hex(4)
WAIT = 60  # seconds, the longest any single wait may take
LOGS = Path(tempfile.mkdtemp(prefix="two-nodes-"))


# --- the SMTP sink ---------------------------------------------------------------------------


class Sink:
    """An SMTP server that records each delivered message; it stalls once on a "slow" recipient."""

    def __init__(self):
        self.messages: list[dict] = []
        self.stalled = threading.Event()
        self._stall_done = False
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("slow") and not self._stall_done:
            # Hold the first delivery to a slow address mid-conversation: the worker gets killed here.
            self._stall_done = True
            self.stalled.set()
            await asyncio.sleep(WAIT)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf8", errors="replace")
        subject = re.search(r"^Subject: (.*)$", text, re.MULTILINE)
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "subject": subject[1] if subject else ""})
        return "250 Message accepted for delivery"

    def count(self, text: str) -> int:
        with self.lock:
            return sum(1 for message in self.messages if text in message["subject"])


# --- processes -------------------------------------------------------------------------------


def procfile() -> dict[str, str]:
    lines = (PROJECT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LANG": "C.UTF-8",
    "HOME": os.environ.get("HOME", "/root"),
    **DB,
    "DJANGO_SETTINGS_MODULE": "gas_utility.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "False",
    "REDIS_URL": REDIS_URL,
    "CELERY_BROKER_URL": BROKER_URL,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": str(SMTP_PORT),
    "EMAIL_TIMEOUT": str(WAIT + 30),
    # Short timeouts, so a killed worker's task comes back in seconds rather than an hour.
    "CELERY_VISIBILITY_TIMEOUT": "10",
    "EMAIL_SEND_LEASE_SECONDS": "15",
    "THROTTLE_REGISTER": "3/hour",
    "LOGIN_FAILURE_LIMIT": "3",
    "WEB_CONCURRENCY": "2",
    "WORKER_CONCURRENCY": "2",
    "LOG_LEVEL": "INFO",
}
started: list[subprocess.Popen] = []


def start(name: str, log: str, **env) -> subprocess.Popen:
    command = procfile()[name]
    with open(LOGS / log, "ab") as out:
        process = subprocess.Popen(
            ["/bin/bash", "-c", f"exec {command}"],
            cwd=PROJECT,
            env={**ENV, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started.append(process)
    return process


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_for(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- an HTTP client that keeps its cookies (production cookies are Secure) ----------------------


class Client:
    def __init__(self):
        self.cookies: dict[str, str] = {}

    def call(self, port: int, method: str, path: str, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        sent = {"Host": "127.0.0.1", "Accept": "application/json", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET" and "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        data = None
        if body is not None:
            data, sent["Content-Type"] = json.dumps(body), "application/json"
        connection.request(method, path, data, sent)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value in ('""', ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload
        return response.status, parsed, response.headers

    def login(self, port: int, username: str, password: str = PASSWORD):
        status, body, _ = self.call(port, "POST", "/accounts/api/login/", {"username": username, "password": password})
        return status, body


def register(port: int, username: str, email: str):
    return Client().call(
        port,
        "POST",
        "/accounts/api/register/",
        {
            "username": username,
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "name": username.title(),
            "phone_number": "01632960123",
            "address": "1 Test Street",
        },
    )[0]


# --- the checks ------------------------------------------------------------------------------

results: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    results.append((name, ok, detail))
    print(f"[{'PASS' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}", flush=True)


def sql(query: str, *params):
    with (
        MySQLdb.connect(
            host=DB["DB_HOST"], port=int(DB["DB_PORT"]), user=DB["DB_USER"], passwd=DB["DB_PASSWORD"], db=DB["DB_NAME"]
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(query, params)
        return cursor.fetchall()


def worker_log_counts(log: str) -> dict[str, int]:
    text = (LOGS / log).read_text(errors="replace") if (LOGS / log).exists() else ""
    return {
        "delivered": len(re.findall(r"Task jobs\.tasks\.deliver_email\[[^\]]+\] received", text)),
        "retried": len(re.findall(r"Task jobs\.tasks\.deliver_email\[[^\]]+\] retry", text)),
        "deduplicated": len(re.findall(r"duplicate delivery ignored|is being sent by another worker", text)),
        "sent": len(re.findall(r"Email #\d+ sent", text)),
    }


def main() -> int:
    print(f"logs in {LOGS}", flush=True)
    with MySQLdb.connect(
        host=DB["DB_HOST"], port=int(DB["DB_PORT"]), user=DB["DB_USER"], passwd=DB["DB_PASSWORD"]
    ) as c:
        c.cursor().execute(f"DROP DATABASE IF EXISTS `{DB['DB_NAME']}`")
        c.cursor().execute(f"CREATE DATABASE `{DB['DB_NAME']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    for url in {REDIS_URL, BROKER_URL}:
        redis.Redis.from_url(url).flushdb()
    release = start("release", "release.log")
    if release.wait(timeout=600) != 0:
        print((LOGS / "release.log").read_text()[-3000:])
        return 1
    subprocess.run(
        [
            str(PROJECT / ".venv/bin/python"),
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            "boss",
            "--name",
            "Boss",
        ],
        cwd=PROJECT,
        env={**ENV, "DJANGO_SUPERUSER_PASSWORD": PASSWORD, "DJANGO_SUPERUSER_EMAIL": "boss@example.com"},
        check=True,
        capture_output=True,
    )

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        start("web", "node-a.log", BIND=f"127.0.0.1:{NODE_A}")
        start("web", "node-b.log", BIND=f"127.0.0.1:{NODE_B}")
        start("beat", "beat.log")
        for port in (NODE_A, NODE_B):
            wait_for(lambda port=port: _ready(port), f"node on port {port}")
        run_checks(sink)
    finally:
        for process in reversed(started):
            stop(process)
        controller.stop()
    failed = [name for name, ok, _ in results if not ok]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    if not failed:
        with MySQLdb.connect(
            host=DB["DB_HOST"], port=int(DB["DB_PORT"]), user=DB["DB_USER"], passwd=DB["DB_PASSWORD"]
        ) as c:
            c.cursor().execute(f"DROP DATABASE IF EXISTS `{DB['DB_NAME']}`")
    return 1 if failed else 0


def _ready(port: int) -> bool:
    try:
        return Client().call(port, "GET", "/readyz")[0] == 200
    except OSError:
        return False


def run_checks(sink: Sink) -> None:
    # 1. Sessions: log in on A, use the session on B; log out on B, and A no longer knows it.
    if register(NODE_A, "carol", "carol@example.com") != 201:
        raise RuntimeError("could not register the first customer")
    carol = Client()
    carol.login(NODE_A, "carol")
    status_b, body_b, _ = carol.call(NODE_B, "GET", "/accounts/api/account/")
    ok = status_b == 200 and body_b["data"]["username"] == "carol"
    session = dict(carol.cookies)
    carol.call(NODE_B, "POST", "/accounts/api/logout/")
    stale = Client()
    stale.cookies = session
    ended = stale.call(NODE_A, "GET", "/accounts/api/account/")[0] == 401
    check(
        "session made on A works on B; logout on B ends it on A", ok and ended, f"B: {status_b}, A after: 401={ended}"
    )

    # 2. Rate limits: 3 registrations an hour per address, counted across both nodes.
    codes = [register(port, f"rate{i}", f"rate{i}@example.com") for i, port in enumerate((NODE_A, NODE_B, NODE_A))]
    codes += [register(NODE_B, "rate3", "rate3@example.com")]
    check("rate limit counts across nodes", codes == [201, 201, 429, 429], f"statuses {codes} (limit 3/hour, 1 used)")

    # 3. Idempotency-Key: the retry on B replays A's response; one request stored.
    carol.login(NODE_A, "carol")
    key, details = str(uuid.uuid4()), f"Idempotent two-node submission {uuid.uuid4().hex[:8]}"
    body = {"type_of_request": "Maintenance", "details": details}
    first = carol.call(NODE_A, "POST", "/api/submit/", body, {"Idempotency-Key": key})
    retry = carol.call(NODE_B, "POST", "/api/submit/", body, {"Idempotency-Key": key})
    stored = sql("SELECT COUNT(*) FROM utility_services_servicerequest WHERE details = %s", details)[0][0]
    check(
        "Idempotency-Key retried on B returns A's response",
        first[0] == retry[0] == 201
        and retry[2].get("Idempotent-Replayed") == "true"
        and retry[1]["data"]["id"] == first[1]["data"]["id"]
        and stored == 1,
        f"{first[0]} then {retry[0]} replayed={retry[2].get('Idempotent-Replayed')}, rows stored: {stored}",
    )
    request_id = first[1]["data"]["id"]

    # 4. ETags: A's ETag is accepted by B; once B changed the request, A's old ETag is refused.
    boss = Client()
    boss.login(NODE_A, "boss")
    _, _, headers = boss.call(NODE_A, "GET", f"/api/admin/requests/{request_id}/")
    etag = headers["ETag"]
    on_b = boss.call(NODE_B, "PATCH", f"/api/admin/requests/{request_id}/", {"priority": "High"}, {"If-Match": etag})
    stale_a = boss.call(NODE_A, "PATCH", f"/api/admin/requests/{request_id}/", {"priority": "Low"}, {"If-Match": etag})
    check("ETag from A honoured by B", on_b[0] == 200 and stale_a[0] == 412, f"B: {on_b[0]}, stale on A: {stale_a[0]}")

    # 5. No worker running: an emergency's on-call alert waits in the queue, then is sent once.
    emergency = carol.call(NODE_B, "POST", "/api/submit/", {"type_of_request": "Gas Leak", "details": "Smell"})
    reference = emergency[1]["data"]["reference"]
    time.sleep(3)
    before = sink.count(reference)
    worker = start("worker", "worker-1.log")
    wait_for(lambda: sink.count(reference), "the on-call alert after the worker started")
    time.sleep(5)  # room for a duplicate to arrive, if there were one
    check(
        "email enqueued while no worker ran is delivered exactly once after one starts",
        before == 0 and sink.count(reference) == 1,
        f"{before} before the worker, {sink.count(reference)} after",
    )

    # 6. Kill the worker in the middle of an SMTP conversation; start another one.
    # (Registration is rate limited by now: the admin creates this customer.)
    boss.call(
        NODE_A,
        "POST",
        "/accounts/api/admin/users/create/",
        {
            "username": "slowpoke",
            "email": "slowpoke@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "name": "Slow Poke",
            "phone_number": "01632960123",
            "address": "2 Test Street",
        },
    )
    slowpoke = Client()
    slowpoke.login(NODE_A, "slowpoke")
    submitted = slowpoke.call(NODE_A, "POST", "/api/submit/", {"type_of_request": "Maintenance", "details": "Slow"})
    slow_reference, slow_id = submitted[1]["data"]["reference"], submitted[1]["data"]["id"]
    boss.call(NODE_B, "PATCH", f"/api/admin/requests/{slow_id}/", {"status": "In Progress"})
    wait_for(sink.stalled.is_set, "the worker to be mid-send")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    killed_at = time.monotonic()
    start("worker", "worker-2.log")
    wait_for(lambda: sink.count(slow_reference), "the email after the worker was killed", timeout=WAIT * 2)
    recovered_in = time.monotonic() - killed_at
    time.sleep(20)  # longer than the visibility timeout and the send lease: a duplicate would show now
    rows = sql(
        "SELECT attempts, sent_at IS NOT NULL FROM jobs_outboxemail WHERE subject LIKE %s", f"%{slow_reference}%"
    )
    first_log, second_log = worker_log_counts("worker-1.log"), worker_log_counts("worker-2.log")
    counts = {k: first_log[k] + second_log[k] for k in first_log}
    check(
        "worker killed mid-send: the email is sent once, none lost",
        sink.count(slow_reference) == 1 and rows == ((2, 1),),
        f"received {sink.count(slow_reference)} after {recovered_in:.0f} s; outbox (attempts, sent): {rows}",
    )
    print(
        "    deliver_email tasks across both workers: "
        f"{counts['delivered']} delivered, {counts['retried']} retried, {counts['deduplicated']} deduplicated, "
        f"{counts['sent']} emails sent",
        flush=True,
    )
    unsent = sql("SELECT COUNT(*) FROM jobs_outboxemail WHERE sent_at IS NULL")[0][0]
    check("no email left unsent in the outbox", unsent == 0, f"{unsent} unsent")

    # 7. Lockout: 3 failures per username, spread over both nodes (A, B, A): the third locks the
    #    account, and then even the right password is refused on both.
    bad = [Client().login(port, "carol", "wrong-password")[0] for port in (NODE_A, NODE_B, NODE_A)]
    locked = [Client().login(port, "carol")[0] for port in (NODE_B, NODE_A)]
    check(
        "lockout counts failures across nodes",
        bad == [401, 401, 429] and locked == [429, 429],
        f"wrong password on A, B, A: {bad}; then the right one on B, A: {locked}",
    )

    # 8. Each request's user is cached in Redis (accounts/backends.py): B has served slowpoke's user
    #    from the cache; once A's deactivation commits, B refuses the very next request.
    warm = [slowpoke.call(NODE_B, "GET", "/accounts/api/account/")[0] for _ in range(2)]
    [(slowpoke_id,)] = sql("SELECT id FROM accounts_user WHERE username = %s", "slowpoke")
    cached = bool(redis.Redis.from_url(REDIS_URL).keys(f"*accounts:user:*:{slowpoke_id}"))
    deactivated = boss.call(NODE_A, "PATCH", f"/accounts/api/admin/users/{slowpoke_id}/", {"is_active": False})[0]
    after = slowpoke.call(NODE_B, "GET", "/accounts/api/account/")[0]
    check(
        "a user deactivated on A is refused on B at once (the cached user is dropped)",
        warm == [200, 200] and cached and deactivated == 200 and after == 401,
        f"B before: {warm}, cached in Redis: {cached}, deactivation on A: {deactivated}, B after: {after}",
    )


if __name__ == "__main__":
    sys.exit(main())
