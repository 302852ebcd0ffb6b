import factory

from accounts.tests.factories import UserFactory
from utility_services.models import RequestType, ServiceRequest


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    """A Pending request of a seeded type (default: Maintenance)."""

    class Meta:
        model = ServiceRequest

    customer = factory.SubFactory(UserFactory)
    request_type = factory.LazyFunction(lambda: RequestType.objects.get(name="Maintenance"))
    details = factory.Faker("sentence")
