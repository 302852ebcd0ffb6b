import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from utility_services import search
from utility_services.models import RequestType, ServiceRequest


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
    def search_terms(self, create, extracted, **kwargs):
        """Index the request for search, as the submit service does."""
        if create:
            search.index_requests([self])
