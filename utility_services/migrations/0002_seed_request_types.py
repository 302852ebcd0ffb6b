"""Seed the catalogue of gas-utility request types (editable afterwards in the Django admin)."""

from django.db import migrations

REQUEST_TYPES = [
    # name, description, target hours, emergency
    ("Gas Leak", "Gas leak or smell of gas", 1, True),
    ("Carbon Monoxide", "Suspected carbon monoxide: alarm sounding, symptoms, or sooty appliance", 1, True),
    ("New Connection", "Connect a property to the gas network", 240, False),
    ("Maintenance", "Repair or service of a meter, pipe or supply", 72, False),
    ("Disconnection", "Disconnect the gas supply to a property", 120, False),
    ("Reconnection", "Restore a disconnected gas supply", 48, False),
    ("Meter Reading", "Submit or query a meter reading", 120, False),
    ("Billing Query", "A question about a bill or payment", 120, False),
    ("Other", "Anything else", 120, False),
]


def seed(apps, schema_editor):
    RequestType = apps.get_model("utility_services", "RequestType")
    for order, (name, description, hours, emergency) in enumerate(REQUEST_TYPES, start=1):
        RequestType.objects.update_or_create(
            name=name,
            defaults={
                "description": description,
                "target_resolution_hours": hours,
                "is_emergency": emergency,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("utility_services", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
