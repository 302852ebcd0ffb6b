"""Factories for the tests: users, service requests, the request-type catalogue and emergencies.

No random text (Faker): a test's outcome must never depend on what a random name or address
happens to contain (a search for "carol" would find a random "Carol Smith").
"""

import factory
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from emergencies import services as emergency_services
from emergencies.models import Emergency
from utility_services import search
from utility_services.catalogue import GROUPS_AND_KEYWORDS, QUESTIONS, REQUEST_TYPES
from utility_services.models import RequestAttribute, RequestType, ServiceRequest

PASSWORD = "Sturdy-Test-Passw0rd!"


class UserFactory(factory.django.DjangoModelFactory):
    """A customer whose password is `PASSWORD`.

    The made-up words below match no word any test searches for.
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    name = factory.Sequence(lambda n: f"Ysolde Quarrington{n}")
    phone_number = "+441632960001"
    address = factory.Sequence(lambda n: f"{n} Wexcombe Lane, Brindleford")
    role = User.Role.CUSTOMER
    password = factory.django.Password(PASSWORD)


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    """A Pending request of a seeded type (default: Maintenance), due by its type's target."""

    class Meta:
        model = ServiceRequest
        skip_postgeneration_save = True

    customer = factory.SubFactory(UserFactory)
    request_type = factory.LazyFunction(lambda: RequestType.objects.get(name="Maintenance"))
    # Fixed made-up words, never random text: see UserFactory.
    details = factory.Sequence(lambda n: f"Factory request {n}: zorvex quillet")
    submitted_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda r: r.submitted_at + r.request_type.target_resolution_time)

    @factory.post_generation
    def search_document(self, create, extracted, **kwargs):
        """Index the request for search, as the submit service does."""
        if create:
            search.index_requests([self])


def request_in(status: str, **fields) -> ServiceRequest:
    """Create a request already in `status`, with the timestamps that status implies."""
    now = timezone.now()
    timestamps = {
        "Resolved": {"resolved_at": now},
        "Closed": {"resolved_at": now, "closed_at": now},
        "Cancelled": {"cancelled_at": now},
    }.get(status, {})
    return ServiceRequestFactory(status=status, **{**timestamps, **fields})


def seed_request_type_catalogue() -> None:
    """Seed the request types and their questions as the data migrations do (transactional tests flush them)."""
    for order, (name, description, hours, emergency) in enumerate(REQUEST_TYPES, start=1):
        group, keywords = GROUPS_AND_KEYWORDS.get(name, ("", ""))
        request_type, _ = RequestType.objects.update_or_create(
            name=name,
            defaults={
                "code": slugify(name)[:56],
                "group": group,
                "keywords": keywords,
                "description": description,
                "target_resolution_hours": hours,
                "is_emergency": emergency,
                "sort_order": order * 10,
            },
        )
        for position, (code, question, datatype, required, hint, values) in enumerate(QUESTIONS.get(name, []), 1):
            RequestAttribute.objects.update_or_create(
                request_type=request_type,
                code=code,
                defaults={
                    "description": question,
                    "order": position,
                    "datatype": datatype,
                    "required": required,
                    "datatype_description": hint,
                    "values": values,
                },
            )


# --- emergencies: made through the services, as the real channels do ---------------------------


def gas_leak() -> RequestType:
    return RequestType.objects.get(name="Gas Leak")


def report(*, answers: emergency_services.Answers | None = None, reporter: User | None = None, **kwargs) -> Emergency:
    """An emergency reported online (anonymous unless `reporter`), at 1 Gas Street by default."""
    kwargs.setdefault("request_type", gas_leak())
    kwargs.setdefault("phone", "+441632960999")
    kwargs.setdefault("address", "1 Gas Street")
    return emergency_services.emergency_report(
        reporter=reporter, answers=answers or emergency_services.Answers(), **kwargs
    )


CONTROLLED = emergency_services.Answers(inside=True, gas_escaping=False, meter_off=True, co_symptoms=False)
UNCONTROLLED = emergency_services.Answers(inside=True, gas_escaping=True, meter_off=False, co_symptoms=False)


def make_engineer(**kwargs) -> User:
    return UserFactory(role=User.Role.ENGINEER, **kwargs)


def make_dispatcher(**kwargs) -> User:
    return UserFactory(role=User.Role.AGENT, **kwargs)
