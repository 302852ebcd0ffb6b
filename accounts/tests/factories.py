import factory

from accounts.models import User

PASSWORD = "Sturdy-Test-Passw0rd!"


class UserFactory(factory.django.DjangoModelFactory):
    """A customer whose password is `PASSWORD`.

    No random text (Faker): a test's outcome must never depend on what a random name or
    address happens to contain (a search for "carol" would find a random "Carol Smith").
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
