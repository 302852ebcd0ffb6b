"""Seed the catalogue of gas-utility request types (editable afterwards in the Django admin)."""

from django.db import migrations

from utility_services.catalogue import REQUEST_TYPES


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
