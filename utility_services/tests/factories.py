import importlib

import factory
from django.apps import apps
from django.utils import timezone
from django.utils.text import slugify

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
    def search_document(self, create, extracted, **kwargs):
        """Index the request for search, as the submit service does."""
        if create:
            search.index_requests([self])


def seed_request_type_catalogue() -> None:
    """Seed the request types and their questions as the data migrations do (transactional tests flush them)."""
    catalogue = importlib.import_module("utility_services.migrations.0002_seed_request_types")
    questions = importlib.import_module("utility_services.migrations.0007_request_type_code_and_questions")
    for order, (name, description, hours, emergency) in enumerate(catalogue.REQUEST_TYPES, start=1):
        RequestType.objects.update_or_create(
            name=name,
            defaults={
                "code": slugify(name),
                "description": description,
                "target_resolution_hours": hours,
                "is_emergency": emergency,
                "sort_order": order * 10,
            },
        )
    questions.seed(apps, None)
