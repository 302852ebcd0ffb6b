"""Load benchmark of the production stack: gunicorn + production settings + MariaDB.

    .venv/bin/python benchmarks/run.py                       # 10 thousand and 1 million requests
    .venv/bin/python benchmarks/run.py --scales 10000 --seconds 5 --chart docs/benchmark-ceiling-share.png
    .venv/bin/python benchmarks/run.py --phases "staff search" --json search.json   # one phase only
    .venv/bin/python benchmarks/run.py --scales 10000 --profile docs/flamegraphs   # + py-spy flame graphs

For each scale it makes (once) a MariaDB database `gu_bench_<scale>` filled by
`manage.py generate_data`, starts gunicorn on 127.0.0.1 with production settings
(BENCHMARK=True adds the X-DB-Queries header and the ceiling view), drives each
endpoint with concurrent clients that log in with the real session + CSRF flow,
and prints per endpoint: requests/s, p50/p95/p99 latency, errors, SQL queries per
request and the fraction of the ceiling's throughput; then the workers' peak memory
and a burst of concurrent submissions checked against the database. With two
scales it ends with the large/small ratio of every endpoint.

Honest by construction: the servers run on this script's settings whatever `.env` says
(ENV_FILE is emptied); the customer's list and detail are measured for customers with
exactly 20 and 10,000 requests (full pages); every phase, the ceiling's included, runs
for the same time; phases alternate in --rounds rounds (3), each with its own ceiling,
and the medians are reported. All traffic stays on loopback.
"""

import argparse
import http.client
import itertools
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import MySQLdb

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = str(PROJECT / ".venv" / "bin" / "python")
GUNICORN = str(PROJECT / ".venv" / "bin" / "gunicorn")
BENCH_PASSWORD = "bench-Gas-Passw0rd!"  # as in utility_services/management/commands/generate_data.py
# What staff type into the search box: a distinctive word, a name, two common words.
# The runner adds a real reference and a real customer id from the database.
SEARCH_WORDS = ["boiler", "smith", "amelia smith", "kitchen valve"]


# --- HTTP client with a cookie jar and the CSRF header -------------------------------


class Client:
    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, body=None):
        headers = {"Host": "127.0.0.1", "Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if method != "GET" and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        started = time.perf_counter()
        try:
            self.conn.request(method, path, data, headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 599, b"", time.perf_counter() - started, -1
        elapsed = time.perf_counter() - started
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response.status, payload, elapsed, int(response.headers.get("X-DB-Queries", -1))

    def login(self, username: str):
        status, payload, *_ = self.call(
            "POST", "/accounts/api/login/", {"username": username, "password": BENCH_PASSWORD}
        )
        if status != 200:
            raise RuntimeError(f"login {username}: {status} {payload[:200]!r}")


# --- Results ---------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    latencies: list = field(default_factory=list)
    queries: list = field(default_factory=list)
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def count(self):
        return len(self.latencies)

    @property
    def rps(self):
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q):
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000


ONLY_PHASES: set[str] = set()  # --phases: run only these (and the ceiling)


def run_phase(name, clients, make_request, *, seconds, max_requests=None, expected=(200,)):
    """Drive `make_request(client, i)` from every client for `seconds` (or until `max_requests`, if given)."""
    result = Result(name)
    if ONLY_PHASES and name not in ONLY_PHASES and name != "ceiling":
        return result
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    counter = iter(range(max_requests)) if max_requests else itertools.count()

    def worker(client):
        while time.perf_counter() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            method, path, body = make_request(client, i)
            status, _payload, elapsed, queries = client.call(method, path, body)
            with lock:
                result.latencies.append(elapsed)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if queries >= 0:
                    result.queries.append(queries)
                if status not in expected:
                    result.errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(worker, clients))
    result.seconds = time.perf_counter() - started
    return result


# --- Database and server ---------------------------------------------------------------


def db_env(name):
    return {
        "DB_NAME": name,
        "DB_USER": os.environ.get("DB_USER", "root"),
        "DB_PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "DB_HOST": os.environ.get("DB_HOST", "127.0.0.1"),
        "DB_PORT": os.environ.get("DB_PORT", "3306"),
    }


def connect(name=None):
    env = db_env(name or "")
    kwargs = {"host": env["DB_HOST"], "port": int(env["DB_PORT"]), "user": env["DB_USER"], "passwd": env["DB_PASSWORD"]}
    if name:
        kwargs["db"] = name
    return MySQLdb.connect(**kwargs, charset="utf8mb4", autocommit=True)


def generated_count(name) -> int:
    try:
        with connect(name) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM utility_services_servicerequest")
            return cursor.fetchone()[0]
    except MySQLdb.Error:
        return -1


BUFFER_POOL_BYTES = 4 * 1024**3


def tune_server():
    """Give InnoDB a production-like buffer pool (MariaDB's default, 128 MB, is a laptop's)."""
    with connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT @@innodb_buffer_pool_size, VERSION()")
        size, version = cursor.fetchone()
        if size < BUFFER_POOL_BYTES:
            cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {BUFFER_POOL_BYTES}")
        print(f"MariaDB {version}, innodb_buffer_pool_size {max(size, BUFFER_POOL_BYTES) // 1024**2} MB")


def prepare_database(name, scale, base_env):
    env = {**base_env, **db_env(name), "DJANGO_SETTINGS_MODULE": "gas_utility.settings.base"}
    if generated_count(name) >= scale + sum(TRACK_SIZES):
        print(f"[{name}] reusing generated data ({scale} requests); applying any new migrations")
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=PROJECT, env=env, check=True)
        return
    print(f"[{name}] creating and generating {scale} requests (once; reused by later runs)")
    with connect() as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=PROJECT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "manage.py", "generate_data", "--requests", str(scale), "--track-customers", *map(str, TRACK_SIZES)],
        cwd=PROJECT,
        env=env,
        check=True,
    )
    print(f"[{name}] generated in {time.perf_counter() - started:.0f} s")


def server_env(name, base_env):
    """The environment of the app servers (and of the jobs run beside them) on database `name`."""
    return {
        **base_env,
        **db_env(name),
        "DJANGO_SETTINGS_MODULE": "gas_utility.settings.production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "BENCHMARK": "True",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
        # Tasks (emails) are queued as in production; no worker runs, so they wait in the broker.
        "CELERY_BROKER_URL": os.environ.get(
            "CELERY_BROKER_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")
        ),
        # Every simulated client comes from 127.0.0.1: per-address limits would measure the limiter.
        "THROTTLE_LOGIN": "1000000/min",
        "THROTTLE_SUBMIT": "1000000/min",
    }


def run_job(name, base_env, task):
    """Run a periodic job once, as beat would (e.g. the statistics snapshot); return its seconds."""
    started = time.perf_counter()
    module, function = task.rsplit(".", 1)
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", f"from {module} import {function}; {function}()"],
        cwd=PROJECT,
        env=server_env(name, base_env),
        check=True,
    )
    return time.perf_counter() - started


def start_server(name, port, workers, base_env):
    env = server_env(name, base_env)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=PROJECT, env=env, check=True)
    server = subprocess.Popen(
        [
            GUNICORN,
            "gas_utility.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            status, *_ = Client(port).call("GET", "/benchmark/ceiling/")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def worker_pids(master_pid):
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            pids.append(int(stat.parent.name))
    return pids


def peak_memory_mb(pids):
    peaks = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return max(peaks, default=float("nan"))


# --- The scenario ----------------------------------------------------------------------


def sample(name, query, n):
    with connect(name) as conn, conn.cursor() as cursor:
        cursor.execute(query, (n,))
        return cursor.fetchall()


def search_engine(name) -> str:
    """Which search the database serves: the full-text index over documents, or the older term table."""
    with connect(name) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, index_type FROM information_schema.statistics WHERE table_schema = %s "
            "AND table_name IN ('utility_services_requestsearchdocument', 'utility_services_requestsearchterm')",
            (name,),
        )
        indexes = set(cursor.fetchall())
        cursor.execute("SELECT VERSION()")
        version = cursor.fetchone()[0]
    if ("utility_services_requestsearchdocument", "FULLTEXT") in indexes:
        return f"InnoDB FULLTEXT, boolean mode (MariaDB {version})"
    if any(table == "utility_services_requestsearchterm" for table, _ in indexes):
        return f"term table, B-tree prefix ranges (MariaDB {version})"
    return f"unknown (MariaDB {version})"


TRACK_SIZES = (20, 10_000)  # customers with exactly this many requests (generate_data --track-customers)


def phases_of(ctx):
    """Every phase: (name, clients, make_request, expected statuses). The ceiling is first in each round."""
    rng, customers, staff, anonymous = ctx["rng"], ctx["customers"], ctx["staff"], ctx["anonymous"]
    open_ids, search_words, since, login_users = ctx["open_ids"], ctx["search_words"], ctx["since"], ctx["login_users"]
    phases = [
        ("ceiling", anonymous, lambda c, i: ("GET", "/benchmark/ceiling/", None), (200,)),
        (
            "login",
            ctx["login_clients"],
            lambda c, i: (
                "POST",
                "/accounts/api/login/",
                {"username": login_users[i % len(login_users)], "password": BENCH_PASSWORD},
            ),
            (200,),
        ),
    ]
    for size in TRACK_SIZES:
        clients = ctx["track"][size]
        phases += [
            (f"track list ({size:,})", clients, lambda c, i: ("GET", "/api/track/", None), (200,)),
            (
                f"track detail ({size:,})",
                clients,
                lambda c, i: ("GET", f"/api/track/{c.own_request}/", None),
                (200,),
            ),
        ]
    phases += [
        ("account", customers, lambda c, i: ("GET", "/accounts/api/account/", None), (200,)),
        (
            "submit",
            customers,
            lambda c, i: (
                "POST",
                "/api/submit/",
                {"type_of_request": "Maintenance", "details": f"Benchmark leak check {i}"},
            ),
            (201,),
        ),
        (
            "staff queue",
            staff,
            lambda c, i: ("GET", "/api/admin/requests/?status=Pending&status=In%20Progress", None),
            (200,),
        ),
        ("staff queue default", staff, lambda c, i: ("GET", "/api/admin/requests/", None), (200,)),
        (
            "staff search",
            staff,
            lambda c, i: (
                "GET",
                "/api/admin/requests/?search=" + search_words[i % len(search_words)].replace(" ", "+"),
                None,
            ),
            (200,),
        ),
        (
            "staff overdue by due date",
            staff,
            lambda c, i: ("GET", "/api/admin/requests/?overdue=true&ordering=due_at", None),
            (200,),
        ),
        (
            "staff update",
            staff,
            lambda c, i: (
                "PATCH",
                f"/api/admin/requests/{open_ids[rng.randrange(len(open_ids))]}/",
                {"priority": rng.choice(["Low", "Normal", "High"])},
            ),
            (200,),
        ),
        (
            "stats (last 30 days)",
            staff,
            lambda c, i: ("GET", f"/api/admin/stats/?submitted_after={since}", None),
            (200,),
        ),
        # Every request: no filter serves the periodic job's snapshot; a filter that selects
        # everything computes them now, which is what the snapshot saves.
        ("stats (all, snapshot)", staff, lambda c, i: ("GET", "/api/admin/stats/", None), (200,)),
        (
            "stats (all, computed now)",
            staff,
            lambda c, i: ("GET", "/api/admin/stats/?submitted_after=1900-01-01T00:00:00Z", None),
            (200,),
        ),
    ]
    return phases


WRITES = {"submit", "staff update", "login"}


def logged_in(port, usernames, n):
    clients = []
    for i in range(n):
        client = Client(port)
        client.login(usernames[i % len(usernames)])
        clients.append(client)
    return clients


def benchmark(scale, args, base_env):
    name = f"{args.db_prefix}{scale}"
    prepare_database(name, scale, base_env)
    engine = search_engine(name)
    server = start_server(name, args.port, args.workers, base_env)
    rounds: dict[str, list[Result]] = {}
    try:
        customers = sample(
            name,
            "SELECT u.username, MIN(r.id) FROM accounts_user u JOIN utility_services_servicerequest r "
            "ON r.customer_id = u.id WHERE u.username LIKE 'bench-c%%' GROUP BY u.id ORDER BY u.id LIMIT %s",
            args.clients,
        )
        agents = [row[0] for row in sample(name, "SELECT username FROM accounts_user WHERE role='agent' LIMIT %s", 40)]
        open_ids = [
            row[0]
            for row in sample(
                name,
                "SELECT id FROM utility_services_servicerequest WHERE status IN ('Pending','In Progress','On Hold') "
                "ORDER BY id DESC LIMIT %s",
                2000,
            )
        ]
        for reference, customer_code in sample(
            name,
            "SELECT r.reference, u.customer_id FROM utility_services_servicerequest r "
            "JOIN accounts_user u ON u.id = r.customer_id ORDER BY r.id LIMIT %s",
            1,
        ):
            search_words = [*SEARCH_WORDS, reference, customer_code]
        customer_clients = logged_in(args.port, [row[0] for row in customers], args.clients)
        for client, (_username, request_id) in zip(customer_clients, customers * args.clients, strict=False):
            client.own_request = request_id
        track = {}
        for size in TRACK_SIZES:
            [(username, newest, count)] = sample(
                name,
                "SELECT u.username, MAX(r.id), COUNT(*) FROM accounts_user u JOIN utility_services_servicerequest r "
                "ON r.customer_id = u.id WHERE u.username = CONCAT('bench-track', %s) GROUP BY u.id",
                size,
            )
            track[size] = logged_in(args.port, [username], args.clients)
            for client in track[size]:
                client.own_request = newest
            print(f"track customer {username}: {count} requests")
        ctx = {
            "rng": random.Random(7),  # noqa: S311 -- load pattern, not secrets
            "customers": customer_clients,
            "staff": logged_in(args.port, agents, args.clients),
            "anonymous": [Client(args.port) for _ in range(args.clients)],
            "login_clients": [Client(args.port) for _ in range(args.clients)],
            "login_users": [row[0] for row in customers],
            "track": track,
            "open_ids": open_ids,
            "search_words": search_words,
            "since": (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        phases = phases_of(ctx)
        # Rounds alternate every phase with the ceiling, each for the same time: the machine's noise
        # then falls on all of them alike, and the medians of the rounds are reported.
        for round_number in range(args.rounds):
            # As beat does every minute; a snapshot lives STATS_SNAPSHOT_MAX_AGE (5 minutes).
            seconds = run_job(name, base_env, "utility_services.tasks.snapshot_request_stats")
            print(f"[{name}] statistics snapshot taken in {seconds:.1f} s (with Django's start-up)")
            for phase_name, clients, make_request, expected in phases:
                result = run_phase(phase_name, clients, make_request, seconds=args.seconds, expected=expected)
                if result.count:
                    rounds.setdefault(phase_name, []).append(result)
            print(f"[{name}] round {round_number + 1} of {args.rounds} done")
        if args.profile:
            profile(server.pid, phases, args)
        memory = peak_memory_mb(worker_pids(server.pid))
        burst = submission_burst(name, customer_clients, args) if not args.phases else None
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    summary = summarise(rounds)
    report(scale, summary, memory, burst, engine, args)
    if args.json:
        saved = json.loads(Path(args.json).read_text()) if Path(args.json).exists() else []
        saved.append(
            {
                "scale": scale,
                "database": name,
                "engine": engine,
                "label": args.label,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": args.seconds,
                "rounds": args.rounds,
                "memory_mb": memory,
                "burst": burst,
                "results": summary,
            }
        )
        Path(args.json).write_text(json.dumps(saved, indent=1))
    return summary


def summarise(rounds: dict[str, list[Result]]) -> dict[str, dict]:
    """Per phase, the median over rounds of req/s, latencies, SQL per request and share of that round's ceiling."""
    ceilings = [r.rps for r in rounds["ceiling"]]
    summary = {}
    for phase_name, results in rounds.items():
        shares = [r.rps / ceiling for r, ceiling in zip(results, ceilings, strict=False) if ceiling]
        queries = [q for r in results for q in r.queries]
        summary[phase_name] = {
            "rps": statistics.median(r.rps for r in results),
            "p50": statistics.median(r.pct(50) for r in results),
            "p95": statistics.median(r.pct(95) for r in results),
            "p99": statistics.median(r.pct(99) for r in results),
            "share": statistics.median(shares) if shares else float("nan"),
            "shares": shares,
            "rps_rounds": [r.rps for r in results],
            "sql": statistics.mean(queries) if queries else None,
            "n": sum(r.count for r in results),
            "errors": sum(r.errors for r in results),
        }
    return summary


def profile(master_pid, phases, args):
    """Record a flame graph (py-spy, SVG) of the workers while each hot phase runs alone."""
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    hot = set(args.profile_phases)
    for phase_name, clients, make_request, expected in phases:
        if phase_name not in hot:
            continue
        slug = "".join(ch if ch.isalnum() else "-" for ch in phase_name.lower()).strip("-").replace("--", "-")
        target = out / f"flame-{slug}.svg"
        recorder = subprocess.Popen(
            [
                str(PROJECT / ".venv" / "bin" / "py-spy"),
                "record",
                "--pid",
                str(master_pid),
                "--subprocesses",
                "--rate",
                "250",
                "--duration",
                str(int(args.profile_seconds)),
                "--format",
                "flamegraph",
                "--output",
                str(target),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.0)  # let py-spy attach before the load starts
        run_phase(phase_name, clients, make_request, seconds=args.profile_seconds, expected=expected)
        _, stderr = recorder.communicate(timeout=120)
        status = "written" if target.exists() else f"failed: {stderr.decode(errors='replace')[-300:]}"
        print(f"flame graph of {phase_name}: {target} {status}")


def submission_burst(name, clients, args):
    """Fire concurrent submissions; every acknowledged one must be stored exactly once."""
    marker = f"burst-{uuid.uuid4().hex[:12]}"
    acknowledged, failed = [], []
    lock = threading.Lock()
    pool_clients = [Client(args.port) for _ in range(args.burst_clients)]
    for client, source in zip(pool_clients, clients * (len(pool_clients) // len(clients) + 1), strict=False):
        client.cookies = dict(source.cookies)
    counter = iter(range(args.burst))

    def fire(client):
        for i in counter:
            details = f"{marker} submission {i}"
            status, *_ = client.call("POST", "/api/submit/", {"type_of_request": "Gas Leak", "details": details})
            with lock:
                (acknowledged if status == 201 else failed).append((details, status))

    with ThreadPoolExecutor(len(pool_clients)) as pool:
        list(pool.map(fire, pool_clients))
    with connect(name) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT details, COUNT(*) FROM utility_services_servicerequest WHERE details LIKE %s GROUP BY details",
            (f"{marker}%",),
        )
        stored = dict(cursor.fetchall())
    exactly_once = sum(1 for details, _ in acknowledged if stored.get(details) == 1)
    return {
        "sent": args.burst,
        "acknowledged": len(acknowledged),
        "failed": len(failed),
        "stored_once": exactly_once,
        "stored_rows": sum(stored.values()),
    }


def report(scale, summary, memory, burst, engine, args):
    print(f"\n=== {scale:,} requests in the database; search engine: {engine} ===")
    print(f"medians of {args.rounds} rounds of {args.seconds:g} s per phase, {args.clients} clients")
    print(
        f"{'endpoint':<26}{'reqs':>7}{'err':>5}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'SQL/req':>9}{'ceiling':>9}{'target':>8}"
    )
    for phase_name, r in summary.items():
        queries = f"{r['sql']:.1f}" if r["sql"] is not None else "-"
        target = "" if phase_name in ("ceiling", "login") else "0.33" if phase_name in WRITES else "0.50"
        met = "" if not target else (" ok" if r["share"] >= float(target) else " MISS")
        print(
            f"{phase_name:<26}{r['n']:>7}{r['errors']:>5}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
            f"{r['p99']:>9.1f}{queries:>9}{r['share']:>9.0%}{target:>5}{met}"
        )
    small, large = (summary.get(f"track list ({size:,})") for size in TRACK_SIZES)
    if small and large:
        ratio = large["p95"] / small["p95"]
        print(f"track list p95, 10,000 requests / 20 requests: {ratio:.2f} (target 1.2)")
    print(f"worker peak memory (VmHWM): {memory:.0f} MB")
    if burst is None:
        return
    print(
        f"submission burst: {burst['sent']} sent, {burst['acknowledged']} acknowledged, {burst['failed']} failed, "
        f"{burst['stored_once']} stored exactly once ({burst['stored_rows']} rows)"
    )


def chart(series: dict[str, dict], path):
    """A PNG: each endpoint's req/s as a share of the ceiling's (median of the rounds), one bar per series."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    names = [n for n in next(iter(series.values())) if n != "ceiling"]
    width = 0.8 / len(series)
    figure, axes = pyplot.subplots(figsize=(11, 5.5))
    for k, (label, summary) in enumerate(series.items()):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(names))]
        axes.bar(xs, [summary[n]["share"] if n in summary else 0 for n in names], width, label=label)
    axes.axhline(0.5, color="green", linestyle="--", linewidth=1, label="read target (0.5)")
    axes.axhline(0.33, color="orange", linestyle=":", linewidth=1, label="write target (0.33)")
    axes.set_xticks(range(len(names)), names, rotation=35, ha="right")
    axes.set_ylabel("req/s as a share of the ceiling")
    axes.set_title("benchmarks/run.py: throughput per endpoint / ceiling view (medians of alternating rounds)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"chart: {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients per phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each phase, the ceiling's included")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--burst", type=int, default=200, help="submissions in the concurrent burst")
    parser.add_argument("--burst-clients", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db-prefix", default="gu_bench_", help="databases are named <prefix><scale>")
    parser.add_argument("--phases", nargs="*", default=[], help="run only these phases (and the ceiling)")
    parser.add_argument("--json", help="append each scale's figures to this JSON file")
    parser.add_argument("--label", default="", help="a name for this run in the JSON file (e.g. before, after)")
    parser.add_argument("--chart", help="write a PNG chart of each endpoint's share of the ceiling here")
    parser.add_argument(
        "--chart-from",
        help="only draw --chart from the runs saved in this --json file (one series per label and scale)",
    )
    parser.add_argument("--profile", help="after the rounds, write py-spy flame graphs (SVG) into this folder")
    parser.add_argument(
        "--profile-phases",
        nargs="*",
        default=[
            "track list (20)",
            "track detail (20)",
            "account",
            "submit",
            "staff queue default",
            "staff update",
        ],
    )
    parser.add_argument("--profile-seconds", type=float, default=8.0)
    args = parser.parse_args()
    if args.chart_from:
        saved = json.loads(Path(args.chart_from).read_text())
        chart({f"{run['label'] or 'run'}, {run['scale']:,} requests": run["results"] for run in saved}, args.chart)
        return 0
    ONLY_PHASES.update(args.phases)
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HOME": os.environ.get("HOME", "/root"),
        # Our own settings, whatever a .env file says (scripts/serve.sh writes one with DEBUG=True).
        "ENV_FILE": "",
        "DEBUG": "False",
    }
    tune_server()
    by_scale = {scale: benchmark(scale, args, base_env) for scale in args.scales}
    if len(by_scale) == 2:
        small, large = (by_scale[s] for s in sorted(by_scale))
        print(f"\n=== {max(by_scale):,} vs {min(by_scale):,}: large / small ===")
        print(f"{'endpoint':<26}{'p95 ratio':>11}{'req/s ratio':>13}")
        for phase_name, a in small.items():
            b = large.get(phase_name)
            if b:
                print(f"{phase_name:<26}{b['p95'] / a['p95']:>11.2f}{b['rps'] / a['rps']:>13.2f}")
    if args.chart:
        chart({f"{scale:,} requests": summary for scale, summary in sorted(by_scale.items())}, args.chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
