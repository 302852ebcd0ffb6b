"""Ways to make emergencies in tests: through the services, as the real channels do."""

from accounts.models import User
from accounts.tests.factories import UserFactory
from emergencies import services
from emergencies.models import Emergency
from utility_services.models import RequestType


def gas_leak() -> RequestType:
    return RequestType.objects.get(name="Gas Leak")


def report(*, answers: services.Answers | None = None, reporter: User | None = None, **kwargs) -> Emergency:
    """An emergency reported online (anonymous unless `reporter`), at 1 Gas Street by default."""
    kwargs.setdefault("request_type", gas_leak())
    kwargs.setdefault("phone", "+441632960999")
    kwargs.setdefault("address", "1 Gas Street")
    return services.emergency_report(reporter=reporter, answers=answers or services.Answers(), **kwargs)


CONTROLLED = services.Answers(inside=True, gas_escaping=False, meter_off=True, co_symptoms=False)
UNCONTROLLED = services.Answers(inside=True, gas_escaping=True, meter_off=False, co_symptoms=False)


def make_engineer(**kwargs) -> User:
    return UserFactory(role=User.Role.ENGINEER, **kwargs)


def make_dispatcher(**kwargs) -> User:
    return UserFactory(role=User.Role.AGENT, **kwargs)
