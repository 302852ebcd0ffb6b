"""Generate realistic service-desk data at a chosen scale, fast, for benchmarks.

    manage.py generate_data --requests 1000000 --track-customers 20 10000

Customers, agents, requests of every type and status spread over three years, their
timeline events, assignments and search documents, with a fixed random seed (the same
command makes the same data). Rows go in with multi-row INSERTs through the database
cursor, skipping model instances, on SQLite, MySQL/MariaDB and PostgreSQL alike.
Generated accounts are named bench-*; they all share the password BENCH_PASSWORD.
"""

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import User
from core.identifiers import ALPHABET
from utility_services.models import (
    Priority,
    RequestEvent,
    RequestSearchDocument,
    RequestType,
    ServiceRequest,
    urgency_of,
)
from utility_services.search import document_of

BENCH_PASSWORD = "bench-Gas-Passw0rd!"
Status = ServiceRequest.Status

FIRST_NAMES = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Leo",
    "Freya",
    "Oscar",
    "Lily",
    "Harry",
    "Grace",
    "Jack",
    "Sophia",
    "Charlie",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Walker",
    "Evans",
    "Thomas",
    "Roberts",
    "Khan",
]
STREETS = [
    "Elm",
    "Oak",
    "Station",
    "Church",
    "Mill",
    "Park",
    "Victoria",
    "Green",
    "Manor",
    "Kings",
    "Queens",
    "Bridge",
    "Albert",
    "High",
]
PROBLEMS = [
    "Smell of gas near the {where} since {when}.",
    "Meter display is blank and the {where} valve is stiff.",
    "Please connect the new build at {num} {street} Road before {when}.",
    "Bill for {when} is estimated; actual reading {num}.",
    "Boiler pressure drops every {when}; engineer visit needed at the {where}.",
    "Disconnect supply at {num} {street} Street, property is being demolished.",
    "Reconnect supply after renovation, access via the {where}.",
    "Pipe corrosion visible by the {where}, please inspect.",
]
WHERE = ["kitchen", "hallway", "garage", "garden", "cellar", "porch", "loft", "driveway", "basement", "utility"]
WHEN = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "weekend",
    "night",
    "morning",
    "January",
    "March",
    "July",
    "October",
]
# Age in days above which a request is settled, and how settled requests end.
SETTLED_AFTER_DAYS = 30
SETTLED = [(Status.CLOSED, 55), (Status.RESOLVED, 30), (Status.CANCELLED, 15)]
OPEN = [(Status.PENDING, 40), (Status.IN_PROGRESS, 35), (Status.ON_HOLD, 25)]


def _weighted(rng, pairs):
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


class Command(BaseCommand):
    help = "Generate customers, agents, requests, events and search documents at a chosen scale (fixed seed)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=10_000)
        parser.add_argument("--customers", type=int, help="default: one per five requests")
        parser.add_argument("--agents", type=int, default=40)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument(
            "--track-customers",
            type=int,
            nargs="*",
            default=[],
            help="also make one customer with exactly this many requests each, named bench-track<N> "
            "(the benchmark's full pages; added to --requests)",
        )

    def handle(self, *args, **options):
        if User.objects.filter(username__startswith="bench-").exists():
            raise CommandError("Generated data is already present; use a fresh database.")
        self.rng = random.Random(options["seed"])  # noqa: S311 -- reproducible test data, not secrets
        self.batch = options["batch"]
        self.ops = connection.ops
        self.now = timezone.now().replace(microsecond=0)
        n_requests = options["requests"]
        n_customers = options["customers"] or max(1, n_requests // 5)
        password = make_password(BENCH_PASSWORD)

        agents = self._users("agent", options["agents"], password, User.Role.AGENT)
        customers = self._users("c", n_customers, password, User.Role.CUSTOMER)
        self._requests(n_requests, customers, agents)
        for size in options["track_customers"]:
            [customer] = self._users(f"track{size}", 1, password, User.Role.CUSTOMER, numbered=False)
            self._requests(size, [customer], agents)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in self.ops.sequence_reset_sql(no_style(), [User, ServiceRequest]):
                    cursor.execute(sql)
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {n_customers} customers, {options['agents']} agents and {n_requests} requests "
                f"(password of every bench-* account: {BENCH_PASSWORD})."
            )
        )

    # --- helpers ---------------------------------------------------------------------

    def _dt(self, value):
        return self.ops.adapt_datetimefield_value(value)

    def _insert(self, model, columns, rows):
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            # Table and column names come from our models, values are parameters.
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)

    def _code(self, prefix, used):
        while True:
            chars = "".join(self.rng.choice(ALPHABET) for _ in range(8))
            code = f"{prefix}-{chars[:4]}-{chars[4:]}"
            if code not in used:
                used.add(code)
                return code

    def _next_id(self, model):
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        return (last or 0) + 1

    # --- tables ----------------------------------------------------------------------

    @transaction.atomic
    def _users(self, kind, count, password, role, *, numbered=True):
        start = self._next_id(User)
        used = set(User.objects.values_list("customer_id", flat=True))
        columns = [
            "id",
            "password",
            "username",
            "email",
            "name",
            "phone_number",
            "address",
            "customer_id",
            "role",
            "is_active",
            "date_joined",
            "updated_at",
        ]
        users = []
        for chunk_start in tqdm(range(0, count, self.batch), desc=f"{role}s", unit_scale=self.batch, leave=False):
            rows = []
            for i in range(chunk_start, min(count, chunk_start + self.batch)):
                pk = start + i
                name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                username = f"bench-{kind}{i}" if numbered else f"bench-{kind}"
                joined = self.now - timedelta(days=self.rng.uniform(30, 2000))
                customer_id = self._code("GU", used)
                address = f"{self.rng.randrange(1, 300)} {self.rng.choice(STREETS)} Road"
                rows.append(
                    (
                        pk,
                        password,
                        username,
                        f"{username}@example.com",
                        name,
                        f"+4416329{self.rng.randrange(10**5):05d}",
                        address,
                        customer_id,
                        role,
                        True,
                        self._dt(joined),
                        self._dt(joined),
                    )
                )
                users.append((pk, name, username, customer_id, address))
            self._insert(User, columns, rows)
        return users

    def _requests(self, count, customers, agents):
        types = list(RequestType.objects.filter(is_active=True))
        weights = [1 if t.is_emergency else 12 for t in types]
        start = self._next_id(ServiceRequest)
        used = set(ServiceRequest.objects.values_list("reference", flat=True))
        span = timedelta(days=3 * 365)
        # Oldest first, so ids grow with submission time as they do in production.
        offsets = sorted((self.rng.random() for _ in range(count)), reverse=True)
        request_columns = [
            "id",
            "reference",
            "customer_id",
            "request_type_id",
            "details",
            "status",
            "priority",
            "assignee_id",
            "resolution_details",
            "submitted_at",
            "updated_at",
            "staff_updated_at",
            "due_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "channel",
            "address",
            "postcode",
            "contact_name",
            "contact_email",
            "contact_phone",
            "attributes",
            "urgency",
        ]
        event_columns = [
            "service_request_id",
            "request_reference",
            "kind",
            "actor_id",
            "actor_name",
            "is_internal",
            "field",
            "old_value",
            "new_value",
            "body",
            "created_at",
        ]
        with tqdm(total=count, desc="requests", unit="req") as progress:
            for chunk_start in range(0, count, self.batch):
                requests, events, documents = [], [], []
                for i in range(chunk_start, min(count, chunk_start + self.batch)):
                    request, request_events, document = self._one_request(
                        start + i, offsets[i] * span, types, weights, customers, agents, used
                    )
                    requests.append(request)
                    events += request_events
                    documents.append(document)
                with transaction.atomic():
                    self._insert(ServiceRequest, request_columns, requests)
                    self._insert(RequestEvent, event_columns, events)
                    self._insert(RequestSearchDocument, ["service_request_id", "body"], documents)
                progress.update(len(requests))

    def _one_request(self, pk, age, types, weights, customers, agents, used):
        rng = self.rng
        request_type = rng.choices(types, weights=weights)[0]
        customer_pk, customer_name, customer_username, customer_code, address = rng.choice(customers)
        submitted = self.now - age
        due = submitted + request_type.target_resolution_time
        settled = age > timedelta(days=SETTLED_AFTER_DAYS)
        status = _weighted(rng, SETTLED if settled else OPEN)
        priority = Priority.EMERGENCY if request_type.is_emergency else rng.choice([1, 2, 2, 2, 3])
        details = rng.choice(PROBLEMS).format(
            where=rng.choice(WHERE), when=rng.choice(WHEN), num=rng.randrange(1, 99999), street=rng.choice(STREETS)
        )
        reference = self._code("SR", used)
        agent = rng.choice(agents) if status != Status.PENDING or rng.random() < 0.3 else None
        worked = submitted + timedelta(hours=rng.uniform(0.5, 48))
        resolved = closed = cancelled = None
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved = submitted + timedelta(hours=rng.uniform(1, 24 * 20))
        if status == Status.CLOSED:
            closed = resolved + timedelta(days=14)
        if status == Status.CANCELLED:
            cancelled = submitted + timedelta(hours=rng.uniform(1, 72))
        updated = max(t for t in (submitted, worked if agent else None, resolved, closed, cancelled) if t)
        dt = self._dt
        request = (
            pk,
            reference,
            customer_pk,
            request_type.pk,
            details,
            status,
            priority,
            agent[0] if agent else None,
            "Work completed." if resolved else "",
            dt(submitted),
            dt(updated),
            dt(updated),
            dt(due),
            dt(resolved),
            dt(closed),
            dt(cancelled),
            rng.choice(["web", "web", "api"]),
            address,
            "",
            "",
            "",
            "",
            "{}",  # no answers to the type's questions
            urgency_of(status, priority, due, self.now),
        )

        def event(kind, actor, when, *, internal=False, field="", old="", new=""):
            actor_pk, actor_name = (actor[0], actor[1]) if actor else (None, "")
            return (pk, reference, kind, actor_pk, actor_name, internal, field, old, new, "", dt(when))

        customer = (customer_pk, customer_name)
        events = [event("submitted", customer, submitted, new=Status.PENDING)]
        if agent:
            events.append(event("assigned", agent, worked, internal=True, field="assignee", new=agent[1]))
        if status != Status.PENDING and status != Status.CANCELLED:
            events.append(event("status_changed", agent, worked, field="status", old="Pending", new="In Progress"))
            if status == Status.ON_HOLD:
                events.append(event("status_changed", agent, worked, field="status", old="In Progress", new="On Hold"))
        if resolved:
            events.append(event("status_changed", agent, resolved, field="status", old="In Progress", new="Resolved"))
        if closed:
            events.append(event("status_changed", agent, closed, field="status", old="Resolved", new="Closed"))
        if cancelled:
            events.append(event("cancelled", customer, cancelled, field="status", old="Pending", new="Cancelled"))
        text = " ".join(
            [
                reference,
                details,
                address,
                customer_name,
                f"{customer_username}@example.com",
                customer_username,
                customer_code,
            ]
        )
        return request, events, (pk, document_of(text))
