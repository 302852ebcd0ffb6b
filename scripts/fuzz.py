"""Fuzz the running service as an outsider: schemathesis's command line, every phase, as each role.

    .venv/bin/python scripts/fuzz.py                   # a fresh seed, printed
    .venv/bin/python scripts/fuzz.py --seed 1234       # replay a run
    .venv/bin/python scripts/fuzz.py --roles customer --max-examples 50

It makes a fresh SQLite database with an account per role (and some requests, files and a
dispatched emergency to work on), serves the app with gunicorn on it, and for each role
(anonymous, customer, engineer, agent, admin) runs `st run` with the phases examples,
coverage, fuzzing and stateful against `/api/schema/`, so every operation the schema lists is
covered, routes added later included; and, as anonymous only (it knows no sessions), against
Open311's `/open311/v2/openapi.json`. Every check is on (see schemathesis.toml for the few documented exceptions):
no server error, no schema-valid request rejected, every response as documented.

It prints the seed (replay with --seed), the cases run per role and phase, and exits
non-zero if any check failed. Extra schemas (another app's OpenAPI document served by the
same process) can be added with --schema /path/ (repeatable).
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROLES = ("anonymous", "customer", "engineer", "agent", "admin")
# Schemas fuzzed once, as anonymous: interfaces that use no session (Open311 authenticates by api_key).
SESSIONLESS_SCHEMAS = ("/open311/v2/openapi.json",)
PHASES = ("examples", "coverage", "fuzzing", "stateful")
PASSWORD = "Fuzz-Role-Passw0rd!"

SETUP = f"""
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from emergencies import services as emergency_services
from utility_services import services
from utility_services.models import RequestType

password = {PASSWORD!r}
users = {{
    role: User.objects.create_user(
        f"fuzz-{{role}}", f"fuzz-{{role}}@example.com", password, name=f"Fuzz {{role}}", role=role
    )
    for role in ("customer", "engineer", "agent", "admin")
}}
customer, agent = users["customer"], users["agent"]
for index, name in enumerate(["Maintenance", "Billing Query", "Gas Leak"]):
    request = services.service_request_submit(
        customer=customer, request_type=RequestType.objects.get(name=name), details=f"Fuzz request {{index}}",
        files=[SimpleUploadedFile("meter.pdf", b"%PDF-1.4\\n%%EOF\\n")],
    )
    services.service_request_add_note(acting_user=agent, service_request=request, body="Checked", is_internal=False)
    if request.is_emergency:
        engineer = users["engineer"]
        emergency_services.emergency_dispatch(acting_user=agent, emergency=request.emergency, engineer=engineer)
"""


def app_env(workdir: Path) -> dict:
    """The service's settings: the test settings (fast password hashing, no real mail), a fresh SQLite
    file, and limits lifted: the fuzzer is one client on 127.0.0.1 and would only measure them."""
    limits = {
        f"THROTTLE_{scope}": "1000000/min"
        for scope in ("LOGIN", "REGISTER", "PASSWORD_RESET", "SUBMIT", "COMMENT", "NOTE", "ATTACHMENT", "PROFILE")
    }
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "gas_utility.settings.test",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SQLITE_PATH": str(workdir / "fuzz.sqlite3"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "plain",
        "LOGIN_FAILURE_LIMIT": "1000000",
        "LOGIN_ADDRESS_FAILURE_LIMIT": "1000000",
        "LOGIN_ACCOUNT_FAILURE_LIMIT": "1000000",
        **limits,
    }


def request(port: int, method: str, path: str, payload=None, cookies=None) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    connection.request(method, path, body=json.dumps(payload) if payload is not None else None, headers=headers)
    response = connection.getresponse()
    set_cookies = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            set_cookies[name.strip()] = rest.split(";", 1)[0]
    body = response.read()
    connection.close()
    return response.status, set_cookies, json.loads(body) if body else {}


def role_config(port: int, role: str, workdir: Path) -> Path:
    """schemathesis.toml, plus a real session for the role (logged in over HTTP) as the schema's
    security schemes: st then knows the credentials, and can also try each request without them."""
    config = (PROJECT / "schemathesis.toml").read_text()
    if role != "anonymous":
        status, cookies, body = request(
            port, "POST", "/accounts/api/login/", {"username": f"fuzz-{role}", "password": PASSWORD}
        )
        if status != 200:
            raise SystemExit(f"could not log in as {role}: {status} {body}")
        for scheme, value in (
            ("sessionAuth", cookies["sessionid"]),
            ("csrfCookie", cookies["csrftoken"]),
            ("csrfToken", cookies["csrftoken"]),
        ):
            config += f'\n[auth.openapi.{scheme}]\napi_key = "{value}"\n'
    path = workdir / f"schemathesis-{role}.toml"
    path.write_text(config)
    return path


def start_server(port: int, env: dict, log) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "gas_utility.wsgi", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if request(port, "GET", "/readyz")[0] == 200:
                return server
        if server.poll() is not None:
            break
        time.sleep(0.3)
    raise SystemExit("gunicorn did not start; see the server log")


def cases_per_phase(ndjson: Path) -> Counter:
    """Test cases run, per phase, from st's NDJSON event report."""
    counts = Counter()
    for line in ndjson.read_text().splitlines():
        event = json.loads(line)
        ((kind, data),) = event.items() if len(event) == 1 else [("", {})]
        if kind == "ScenarioFinished":
            phase = data.get("phase", "").lower()
            counts[phase] += len(data.get("recorder", {}).get("cases", {}))
    return counts


def run_role(args, role: str, schema_path: str, port: int, workdir: Path) -> tuple[int, Counter]:
    ndjson = workdir / f"{role}-{schema_path.strip('/').replace('/', '-')}.ndjson"
    # Excluded per role: the calls that end the very session the run uses.
    exclude = [] if role == "anonymous" else ["--exclude-path", "/accounts/api/logout/"]
    command = [
        str(BIN / "st"),
        "--config-file",
        str(role_config(port, role, workdir)),
        "run",
        f"http://127.0.0.1:{port}{schema_path}?format=json",
        "--phases",
        ",".join(PHASES),
        "--checks",
        "all",
        "--seed",
        str(args.seed),
        "--max-examples",
        str(args.max_examples),
        "--workers",
        "1",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(ndjson),
        *exclude,
    ]
    print(f"\n=== {role}: {' '.join(command[4:11])} ...", flush=True)
    result = subprocess.run(command, cwd=PROJECT, check=False)
    return result.returncode, cases_per_phase(ndjson)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: a fresh random seed)")
    parser.add_argument("--roles", nargs="+", choices=ROLES, default=list(ROLES))
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "25")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FUZZ_PORT", "18951")))
    parser.add_argument(
        "--schema", action="append", default=None, help="schema path(s) to fuzz (default: /api/schema/)"
    )
    parser.add_argument(
        "--sessionless-schema",
        action="append",
        default=None,
        help=f"schema path(s) fuzzed as anonymous only (default: {', '.join(SESSIONLESS_SCHEMAS)})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (database, logs, reports)")
    args = parser.parse_args()
    args.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    schemas = args.schema or ["/api/schema/"]
    if args.sessionless_schema is None:
        args.sessionless_schema = list(SESSIONLESS_SCHEMAS)
    print(f"Fuzz seed: {args.seed} (replay with: scripts/fuzz.py --seed {args.seed})", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="gu-fuzz-"))
    env = app_env(workdir)
    python = str(BIN / "python")
    server = None
    log_path = workdir / "server.log"
    failed = []
    table = {}
    try:
        subprocess.run([python, "manage.py", "migrate", "--no-input", "-v0"], cwd=PROJECT, env=env, check=True)
        subprocess.run([python, "manage.py", "shell", "-v0", "-c", SETUP], cwd=PROJECT, env=env, check=True)
        with log_path.open("w") as log:
            server = start_server(args.port, env, log)
            # The admin runs last: it may deactivate or delete the other roles' accounts.
            for role in sorted(args.roles, key=ROLES.index):
                extra = list(args.sessionless_schema) if role == "anonymous" else []
                for schema_path in [*schemas, *extra]:
                    code, counts = run_role(args, role, schema_path, args.port, workdir)
                    table[(role, schema_path)] = counts
                    if code != 0:
                        failed.append(f"{role} {schema_path}")
        server_errors = [line for line in log_path.read_text().splitlines() if " ERROR " in line]
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nFuzz seed {args.seed}: test cases run per role and phase")
    print(f"{'role':<10} {'schema':<26} " + " ".join(f"{phase:>9}" for phase in PHASES) + f" {'total':>7}")
    for (role, schema_path), counts in table.items():
        cells = " ".join(f"{counts[phase]:>9}" for phase in PHASES)
        print(f"{role:<10} {schema_path:<26} {cells} {sum(counts.values()):>7}")
    print(f"server ERROR log lines: {len(server_errors)}")
    for line in server_errors[:20]:
        print("  " + line[:300])
    if failed or server_errors:
        print(f"FAILED: {', '.join(failed) or 'server errors logged'} (replay with --seed {args.seed})")
        return 1
    print("All checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
