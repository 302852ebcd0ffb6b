"""The test factories make no random text, so no test depends on what random words contain.

(A Faker sentence once contained "customer" and failed a search test; a random name like
"Carol Smith" would break a search for "carol".)
"""

import random

import factory.random
import pytest

from testing.factories import ServiceRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


def built_text(seed: int) -> list[str]:
    random.seed(seed)
    factory.random.reseed_random(seed)
    user = UserFactory.build()
    service_request = ServiceRequestFactory.build(customer=user)
    return [user.name, user.address, user.email, service_request.details]


def test_factory_text_is_the_same_whatever_the_random_seed():
    UserFactory.reset_sequence(0)
    ServiceRequestFactory.reset_sequence(0)
    first = built_text(1)
    UserFactory.reset_sequence(0)
    ServiceRequestFactory.reset_sequence(0)
    assert built_text(2) == first
