"""Make the emergency events append-only in the database too: every UPDATE is refused.

The application never updates or deletes an event (the model, its queryset and the admin
refuse); these triggers also stop any other path (a script, a shell, a bulk update). DELETE
is left to the application and the foreign keys (an event's record, actor and correction
are all protected), because Django's test database flush deletes rows between tests.
On MySQL/MariaDB with binary logging, creating a trigger needs the SUPER privilege or
`log_bin_trust_function_creators=1`.
"""

from django.db import migrations

# Constant SQL, no input: nothing to inject.
# ruff: noqa: S608

TABLE = "emergencies_emergencyevent"
MESSAGE = "Emergency events are append-only: record a correction instead."

FORWARD = {
    "sqlite": [
        f"CREATE TRIGGER emergency_event_no_update BEFORE UPDATE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    ],
    "mysql": [
        f"CREATE TRIGGER emergency_event_no_update BEFORE UPDATE ON {TABLE} FOR EACH ROW "
        f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{MESSAGE}'",
    ],
    "postgresql": [
        "CREATE FUNCTION emergency_event_no_update() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
        f"CREATE TRIGGER emergency_event_no_update BEFORE UPDATE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION emergency_event_no_update();",
    ],
}
BACKWARD = {
    "sqlite": ["DROP TRIGGER IF EXISTS emergency_event_no_update;"],
    "mysql": ["DROP TRIGGER IF EXISTS emergency_event_no_update"],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS emergency_event_no_update ON {TABLE};",
        "DROP FUNCTION IF EXISTS emergency_event_no_update();",
    ],
}


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("emergencies", "0001_initial")]

    # MySQL cannot run DDL inside a transaction.
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), atomic=False)]
