"""The Priority Services Register: customers and staff set it, with consent; every change is audited."""

import pytest

from accounts.models import PriorityServicesRegistration, UserAuditEvent
from testing.assertions import error_details, success_data

pytestmark = pytest.mark.django_db
MINE = "/accounts/api/account/priority-services/"


def staff_url(user) -> str:
    return f"/accounts/api/admin/users/{user.pk}/priority-services/"


def test_a_customer_registers_with_consent_changes_and_withdraws(customer_api, customer):
    assert success_data(customer_api.get(MINE)) == {"registered": False, "entry": None}

    payload = {"categories": ["young_children", "pensionable_age"], "needs": "Deaf: text, don't call", "consent": True}
    data = success_data(customer_api.put(MINE, payload))["entry"]
    assert data["categories"] == ["pensionable_age", "young_children"]  # the register's order
    assert data["consent_source"] == "customer" and data["consent_recorded_by_name"] == customer.name
    assert success_data(customer_api.get(MINE)) == {"registered": True, "entry": data}

    success_data(customer_api.put(MINE, {"categories": ["sight_or_hearing"], "consent": True}))
    success_data(customer_api.delete(MINE))
    assert not PriorityServicesRegistration.objects.exists()

    audit = UserAuditEvent.objects.filter(target=customer, changes__has_key="priority_services").order_by("id")
    changes = [event.changes["priority_services"] for event in audit]
    assert [before is None for before, _after in changes] == [True, False, False]
    assert changes[0][1]["categories"] == ["pensionable_age", "young_children"]
    assert changes[-1][1] is None
    assert all(event.actor == customer for event in audit)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"categories": ["pensionable_age"], "consent": False}, "consent"),
        ({"categories": ["pensionable_age"]}, "consent"),
        ({"categories": [], "consent": True}, "categories"),
        ({"categories": ["astronaut"], "consent": True}, "categories"),
        ({"categories": "pensionable_age", "consent": True}, "categories"),
        ({"categories": ["pensionable_age"], "consent": True, "role": "admin"}, "role"),
    ],
)
def test_registration_needs_consent_and_known_categories(customer_api, payload, field):
    assert field in error_details(customer_api.put(MINE, payload), 400)
    assert not PriorityServicesRegistration.objects.exists()


def test_withdrawing_when_not_registered_is_a_conflict(customer_api):
    error_details(customer_api.delete(MINE), 409)


def test_staff_register_a_customer_who_consents_by_phone(agent_api, agent, customer, customer_api):
    payload = {"categories": ["medical_equipment"], "needs": "Oxygen concentrator", "consent": True}
    data = success_data(agent_api.put(staff_url(customer), payload))["entry"]

    assert data["consent_source"] == "staff" and data["consent_recorded_by_name"] == agent.name
    assert success_data(customer_api.get(MINE))["entry"]["needs"] == "Oxygen concentrator"
    assert UserAuditEvent.objects.filter(target=customer, actor=agent, changes__has_key="priority_services").exists()


def test_only_customers_can_be_on_the_register(admin_api, agent):
    payload = {"categories": ["pensionable_age"], "consent": True}
    error_details(admin_api.put(staff_url(agent), payload), 409)


def test_customers_and_engineers_cannot_set_someone_elses_entry(customer_api, engineer_api, other_customer):
    payload = {"categories": ["pensionable_age"], "consent": True}
    error_details(customer_api.put(staff_url(other_customer), payload), 403)
    error_details(engineer_api.put(staff_url(other_customer), payload), 403)
    error_details(engineer_api.put(MINE, payload), 409)  # engineers are not customers
    assert not PriorityServicesRegistration.objects.exists()
