"""Create demo accounts, service requests and gas emergencies to look at (safe to run again)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts import services as account_services
from accounts.models import PriorityServicesRegistration, User
from emergencies import services as emergency_services
from emergencies.models import Emergency, EmergencyEvent
from utility_services import services
from utility_services.models import RequestType, ServiceRequest

# Demo only: these accounts exist on a developer's machine, never in production.
DEMO_USERS = [
    ("admin", "demo-admin-Gas!2026", "Ada Admin", User.Role.ADMIN),
    ("agent", "demo-agent-Gas!2026", "Sam Agent", User.Role.AGENT),
    ("alice", "demo-alice-Gas!2026", "Alice Customer", User.Role.CUSTOMER),
    ("bob", "demo-bob-Gas!2026", "Bob Customer", User.Role.CUSTOMER),
    ("engineer", "demo-engineer-Gas!2026", "Eddie Engineer", User.Role.ENGINEER),
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
    help = "Create demo users (admin, agent, two customers, an engineer), a few requests and emergencies."

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
        self._seed_requests(users)
        self._seed_emergencies(users)

    def _seed_requests(self, users):
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

    def _seed_emergencies(self, users):
        """The dispatch board with something on it: bob's gas leak on its way, two more to dispatch."""
        engineer, agent = users["engineer"], users["agent"]
        if EmergencyEvent.objects.filter(kind=EmergencyEvent.Kind.DISPATCHED, engineer=engineer).exists():
            return
        bobs = Emergency.objects.open().filter(service_request__customer=users["bob"]).first()
        if bobs is not None:
            emergency_services.emergency_dispatch(acting_user=agent, emergency=bobs, engineer=engineer)
            emergency_services.emergency_record_step(acting_user=engineer, emergency=bobs, step="en_route")
        # A passer-by, online: outside, still escaping.
        emergency_services.emergency_report(
            reporter=None,
            request_type=RequestType.objects.get(name="Gas Leak"),
            channel=ServiceRequest.Channel.WEB,
            phone="+441632960777",
            address="Bus stop outside 40 Station Road, Gasville",
            location_details="Strong smell by the drain cover",
            answers=emergency_services.Answers(inside=False, gas_escaping=True, meter_off=None, co_symptoms=False),
        )
        # Alice (on the Priority Services Register) phoned 50 minutes ago: controlled, but vulnerable,
        # so her clock is the 1-hour one and the board shows it at risk.
        alice = users["alice"]
        if not PriorityServicesRegistration.objects.filter(user=alice).exists():
            account_services.priority_services_register(
                acting_user=alice, user=alice, categories=["pensionable_age"], needs="Walks with a frame", consent=True
            )
        emergency_services.emergency_report(
            reporter=alice,
            request_type=RequestType.objects.get(name="Gas Leak"),
            channel=ServiceRequest.Channel.PHONE,
            entered_by=agent,
            received_at=timezone.now() - timedelta(minutes=50),
            location_details="Kitchen, by the cooker",
            answers=emergency_services.Answers(inside=True, gas_escaping=False, meter_off=True, co_symptoms=False),
        )

    def _print_credentials(self):
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Log in with (demo only, never use these in production):")
        )
        for username, password, _name, role in DEMO_USERS:
            self.stdout.write(f"  {role:<8}  username: {username:<8}  password: {password}")
