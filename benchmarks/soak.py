"""Load and soak: mixed traffic for a while on gunicorn + MariaDB, then check nothing was lost.

    .venv/bin/python benchmarks/soak.py --minutes 5 --clients 16

Customers submit, list and read their requests; agents read the queue and change the
priority of requests they own (each agent a disjoint set, so the final state is known).
Afterwards it checks: no 5xx at all; every acknowledged submission stored exactly once;
every owned request's priority equals the last acknowledged change. Uses the database
and server helpers of benchmarks/run.py; traffic stays on loopback and the run is
bounded in time.
"""

import argparse
import contextlib
import os
import random
import secrets
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import MySQLdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import Client, connect, prepare_database, sample, start_server, tune_server

PRIORITIES = {"Low": 1, "Normal": 2, "High": 3}


def kill_connections(name) -> int:
    """The fault: drop every connection the service holds to its database, as a restart would."""
    with connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id FROM information_schema.processlist WHERE db = %s AND id != CONNECTION_ID()", (name,))
        ids = [row[0] for row in cursor.fetchall()]
        for connection_id in ids:
            with contextlib.suppress(MySQLdb.Error):  # it may have closed by itself meanwhile
                cursor.execute(f"KILL CONNECTION {int(connection_id)}")
    return len(ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--fault", action="store_true", help="halfway through, kill every database connection of the service"
    )
    args = parser.parse_args()
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HOME": os.environ.get("HOME", "/root"),
    }
    name = f"gu_bench_{args.scale}"
    tune_server()
    prepare_database(name, args.scale, base_env)
    server = start_server(name, args.port, args.workers, base_env)
    marker = f"soak-{uuid.uuid4().hex[:10]}"
    statuses, lock = Counter(), threading.Lock()
    acknowledged_submissions, last_priority = [], {}
    try:
        customers = [
            row[0]
            for row in sample(
                name, "SELECT username FROM accounts_user WHERE username LIKE 'bench-c%%' LIMIT %s", args.clients
            )
        ]
        agents = [
            row[0]
            for row in sample(name, "SELECT username FROM accounts_user WHERE role='agent' LIMIT %s", args.clients)
        ]
        open_ids = [
            row[0]
            for row in sample(
                name,
                "SELECT id FROM utility_services_servicerequest "
                "WHERE status IN ('Pending','In Progress','On Hold') LIMIT %s",
                args.clients * 10,
            )
        ]
        deadline = time.monotonic() + args.minutes * 60

        def customer_loop(index):
            client, rng = Client(args.port), random.Random(index)  # noqa: S311 -- load pattern
            client.login(customers[index % len(customers)])
            sequence = 0
            while time.monotonic() < deadline:
                roll = rng.random()
                if roll < 0.4:
                    sequence += 1
                    details = f"{marker} customer {index} submission {sequence}"
                    status, *_ = client.call(
                        "POST", "/api/submit/", {"type_of_request": "Maintenance", "details": details}
                    )
                    if status == 201:
                        with lock:
                            acknowledged_submissions.append(details)
                else:
                    status, *_ = client.call("GET", "/api/track/")
                with lock:
                    statuses[status] += 1

        def agent_loop(index):
            client, rng = Client(args.port), random.Random(1000 + index)  # noqa: S311 -- load pattern
            client.login(agents[index % len(agents)])
            owned = open_ids[index :: args.clients // 2 or 1]
            while time.monotonic() < deadline:
                if rng.random() < 0.5 and owned:
                    request_id, priority = rng.choice(owned), rng.choice(list(PRIORITIES))
                    status, *_ = client.call("PATCH", f"/api/admin/requests/{request_id}/", {"priority": priority})
                    if status == 200:
                        with lock:
                            last_priority[request_id] = PRIORITIES[priority]
                else:
                    status, *_ = client.call("GET", "/api/admin/requests/?status=Pending&status=In%20Progress")
                with lock:
                    statuses[status] += 1

        threads = [threading.Thread(target=customer_loop, args=(i,)) for i in range(args.clients // 2)]
        threads += [threading.Thread(target=agent_loop, args=(i,)) for i in range(args.clients - args.clients // 2)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        killed, statuses_at_fault = 0, Counter()
        if args.fault:
            time.sleep(args.minutes * 30)
            killed = kill_connections(name)
            with lock:
                statuses_at_fault = Counter(statuses)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    with connect(name) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT details, COUNT(*) FROM utility_services_servicerequest WHERE details LIKE %s GROUP BY details",
            (f"{marker}%",),
        )
        stored = dict(cursor.fetchall())
        stored_priority = {}
        if last_priority:
            ids = ",".join(str(int(pk)) for pk in last_priority)
            cursor.execute(f"SELECT id, priority FROM utility_services_servicerequest WHERE id IN ({ids})")
            stored_priority = dict(cursor.fetchall())
    total = sum(statuses.values())
    unavailable = statuses.get(503, 0)
    server_errors = sum(n for status, n in statuses.items() if status >= 500 and status != 503)
    once = sum(1 for details in acknowledged_submissions if stored.get(details) == 1)
    consistent = sum(1 for pk, value in last_priority.items() if stored_priority.get(pk) == value)
    print(f"\n=== soak: {args.clients} clients for {elapsed / 60:.1f} minutes on {name} ===")
    print(f"requests: {total} ({total / elapsed:.0f}/s); by status: {dict(sorted(statuses.items()))}")
    print(f"server errors (5xx other than 503): {server_errors}")
    if args.fault:
        after = total - sum(statuses_at_fault.values())
        ok_after = sum(n for st, n in statuses.items() if st < 500) - sum(
            n for st, n in statuses_at_fault.items() if st < 500
        )
        print(
            f"fault: killed {killed} database connections halfway; 503 answers: {unavailable}; "
            f"after the fault: {ok_after} of {after} requests succeeded (the service reconnected by itself)"
        )
    print(
        f"submissions acknowledged: {len(acknowledged_submissions)}, stored exactly once: {once}, "
        f"stored twice or more: {sum(1 for count in stored.values() if count > 1)}, stored but not acknowledged "
        f"(the answer was lost; a client retries with its Idempotency-Key): {len(stored) - once}"
    )
    print(f"requests whose priority was changed: {len(last_priority)}, final value as last acknowledged: {consistent}")
    ok = (
        server_errors == 0
        and (args.fault or unavailable == 0)
        and once == len(acknowledged_submissions)
        and all(count == 1 for count in stored.values())
        and consistent == len(last_priority)
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
