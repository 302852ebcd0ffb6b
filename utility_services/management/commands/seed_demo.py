"""Create demo accounts and service requests to look at (safe to run again)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts import services as account_services
from accounts.models import User
from utility_services import services
from utility_services.models import RequestType, ServiceRequest

# Demo only: these accounts exist on a developer's machine, never in production.
DEMO_USERS = [
    ("admin", "demo-admin-Gas!2026", "Ada Admin", User.Role.ADMIN),
    ("agent", "demo-agent-Gas!2026", "Sam Agent", User.Role.AGENT),
    ("alice", "demo-alice-Gas!2026", "Alice Customer", User.Role.CUSTOMER),
    ("bob", "demo-bob-Gas!2026", "Bob Customer", User.Role.CUSTOMER),
]

# customer, type, details, status the agent moves it to (None: left Pending)
DEMO_REQUESTS = [
    ("alice", "New Connection", "New build at 12 Elm Road needs a gas connection before March.", None),
    ("alice", "Billing Query", "My November bill shows an estimated reading; I sent an actual one.", "In Progress"),
    ("bob", "Maintenance", "Meter cupboard door is broken and the meter is exposed to rain.", "Resolved"),
    ("bob", "Meter Reading", "Reading 04512 taken on the 1st.", "On Hold"),
    ("bob", "Gas Leak", "Faint smell of gas near the outside meter box since this morning.", None),
]
# Answers to the questions of the demo requests' types.
DEMO_ANSWERS = {
    "Meter Reading": {"reading": 4512, "meter_serial": "E6S12345678901"},
    "Gas Leak": {"gas_escaping": "yes", "smell_location": "outside", "meter_off": "not_tried"},
    "Billing Query": {"bill_date": "2026-11-02"},
}


class Command(BaseCommand):
    help = "Create demo users (admin, agent, two customers) and a few service requests."

    def handle(self, *args, **options):
        # Demo data sends no email: the console would fill with notifications.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._seed()
        self._print_credentials()

    @transaction.atomic
    def _seed(self):
        users = {}
        for username, password, name, role in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None and role == User.Role.ADMIN:
                # The first admin comes from the command line, as with createsuperuser.
                user = User.objects.create_superuser(
                    username, f"{username}@example.com", password, name=name, phone_number="+441632960000"
                )
            elif user is None:
                # Everyone else is created by that admin, through the service, like in the admin UI.
                user = account_services.user_create(
                    acting_user=users["admin"],
                    username=username,
                    email=f"{username}@example.com",
                    password=password,
                    name=name,
                    phone_number="+441632960000",
                    address=f"{len(users) + 1} Demo Street, Gasville",
                    role=role,
                )
            users[username] = user

        if ServiceRequest.objects.filter(customer__in=[users["alice"], users["bob"]]).exists():
            return
        agent = users["agent"]
        for username, type_name, details, status in DEMO_REQUESTS:
            request = services.service_request_submit(
                customer=users[username],
                request_type=RequestType.objects.get(name=type_name),
                details=details,
                attributes=DEMO_ANSWERS.get(type_name),
            )
            if status:
                services.service_request_update(
                    acting_user=agent, service_request=request, status=status, assignee=agent
                )
                services.service_request_add_note(
                    acting_user=agent,
                    service_request=request,
                    body="Customer called; account flagged for follow-up.",
                    is_internal=True,
                )
                services.service_request_add_note(
                    acting_user=agent,
                    service_request=request,
                    body=f"Thank you, we are on it. Your request is now {status}.",
                    is_internal=False,
                )

    def _print_credentials(self):
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Log in with (demo only, never use these in production):")
        )
        for username, password, _name, role in DEMO_USERS:
            self.stdout.write(f"  {role:<8}  username: {username:<6}  password: {password}")
