import factory

from accounts.models import User

PASSWORD = "Sturdy-Test-Passw0rd!"


class UserFactory(factory.django.DjangoModelFactory):
    """A customer whose password is `PASSWORD`."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    name = factory.Faker("name")
    phone_number = "+441632960001"
    address = factory.Faker("address")
    role = User.Role.CUSTOMER
    password = factory.django.Password(PASSWORD)
