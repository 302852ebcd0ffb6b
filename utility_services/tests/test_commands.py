"""Management commands: the demo data scripts/serve.sh loads, and the benchmark's generator."""

import pytest
from django.core.management import call_command

from accounts.models import PriorityServicesRegistration, User
from emergencies.models import Emergency
from utility_services.models import RequestSearchDocument, ServiceRequest

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_readme_accounts_and_requests_and_can_run_twice(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {"admin": "admin", "agent": "agent", "alice": "customer", "bob": "customer", "engineer": "engineer"}
    assert User.objects.get(username="alice").check_password("demo-alice-Gas!2026")
    assert User.objects.get(username="engineer").check_password("demo-engineer-Gas!2026")
    assert ServiceRequest.objects.count() == 7
    assert ServiceRequest.objects.filter(request_type__is_emergency=True, priority=4).count() == 3
    # The board has something on it: one on its way to the demo engineer, two to dispatch.
    board = list(Emergency.objects.board())
    assert [emergency.engineer.username if emergency.engineer else None for emergency in board] == [
        None,
        None,
        "engineer",
    ]
    assert [emergency.channel for emergency in board[:2]] == ["phone", "web"]  # alice's, vulnerable, first
    assert board[0].is_vulnerable and PriorityServicesRegistration.objects.filter(user__username="alice").exists()
    assert board[2].stage == "en_route"
    out = capsys.readouterr().out
    assert "demo-admin-Gas!2026" in out and "demo-engineer-Gas!2026" in out


def test_generate_data_makes_consistent_searchable_requests():
    call_command("generate_data", requests=300, agents=3, batch=100)

    assert ServiceRequest.objects.count() == 300
    assert User.objects.filter(username__startswith="bench-c").count() == 60
    assert RequestSearchDocument.objects.count() == 300
    first = ServiceRequest.objects.select_related("customer").order_by("pk").first()
    body = RequestSearchDocument.objects.get(service_request=first).body
    assert f" x{first.customer.username.split('-')[1]} " in body and f" x{first.reference[3:7].lower()} " in body
    assert not ServiceRequest.objects.filter(status="Resolved", resolved_at__isnull=True).exists()
