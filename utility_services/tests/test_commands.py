"""Management commands: the demo data scripts/serve.sh loads, and the benchmark's generator."""

import pytest
from django.core.management import call_command

from accounts.models import User
from utility_services.models import RequestSearchDocument, ServiceRequest

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_readme_accounts_and_requests_and_can_run_twice(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {"admin": "admin", "agent": "agent", "alice": "customer", "bob": "customer"}
    assert User.objects.get(username="alice").check_password("demo-alice-Gas!2026")
    assert ServiceRequest.objects.count() == 5
    assert ServiceRequest.objects.filter(request_type__is_emergency=True, priority=4).count() == 1
    assert "demo-admin-Gas!2026" in capsys.readouterr().out


def test_generate_data_makes_consistent_searchable_requests():
    call_command("generate_data", requests=300, agents=3, batch=100)

    assert ServiceRequest.objects.count() == 300
    assert User.objects.filter(username__startswith="bench-c").count() == 60
    assert RequestSearchDocument.objects.count() == 300
    first = ServiceRequest.objects.select_related("customer").order_by("pk").first()
    body = RequestSearchDocument.objects.get(service_request=first).body
    assert f" x{first.customer.username.split('-')[1]} " in body and f" x{first.reference[3:7].lower()} " in body
    assert not ServiceRequest.objects.filter(status="Resolved", resolved_at__isnull=True).exists()
