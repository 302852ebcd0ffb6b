"""The ``miss_reason`` event kind: a dispatcher's reason for a missed attendance or make-safe deadline.

Changing the check constraints makes Django rebuild the table on SQLite, which drops its
triggers: the append-only trigger of migration 0002 is created again afterwards (SQLite only;
MySQL and PostgreSQL alter the constraints in place and keep it).
"""

from django.db import migrations, models

SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS emergency_event_no_update BEFORE UPDATE ON emergencies_emergencyevent "
    "BEGIN SELECT RAISE(ABORT, 'Emergency events are append-only: record a correction instead.'); END;"
)


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("emergencies", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="emergencyevent",
            name="emergency_event_kind_valid",
        ),
        migrations.RemoveConstraint(
            model_name="emergencyevent",
            name="emergency_event_reason_given",
        ),
        migrations.AlterField(
            model_name="emergencyevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("receipt", "Report received"),
                    ("classification_override", "Classification overridden"),
                    ("dispatched", "Engineer dispatched"),
                    ("en_route", "Engineer on the way"),
                    ("arrived", "Engineer arrived on site"),
                    ("made_safe", "Made safe"),
                    ("cleared", "Repaired and cleared"),
                    ("deferred", "Repair deferred"),
                    ("action", "Action taken"),
                    ("advice", "Advice given"),
                    ("note", "Note"),
                    ("photo", "Photos added"),
                    ("incident", "Incident"),
                    ("regulator_notified", "Regulator notified"),
                    ("review", "Supervisor review"),
                    ("escalation", "Escalation alert"),
                    ("correction", "Time corrected"),
                    ("stood_down", "Stood down"),
                    ("reinstated", "Reinstated as an emergency"),
                    ("miss_reason", "Reason for a missed deadline"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddConstraint(
            model_name="emergencyevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "receipt",
                            "classification_override",
                            "dispatched",
                            "en_route",
                            "arrived",
                            "made_safe",
                            "cleared",
                            "deferred",
                            "action",
                            "advice",
                            "note",
                            "photo",
                            "incident",
                            "regulator_notified",
                            "review",
                            "escalation",
                            "correction",
                            "stood_down",
                            "reinstated",
                            "miss_reason",
                        ],
                    )
                ),
                name="emergency_event_kind_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="emergencyevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        (
                            "kind__in",
                            ["classification_override", "deferred", "correction", "stood_down", "miss_reason"],
                        ),
                        _negated=True,
                    ),
                    models.Q(("reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="emergency_event_reason_given",
            ),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
