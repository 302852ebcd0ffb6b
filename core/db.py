"""Per-connection database settings that Django's OPTIONS cannot express."""

from django.db.backends.signals import connection_created


def tune_mariadb(sender, connection, **kwargs):
    """On MariaDB, keep correlated EXISTS subqueries correlated.

    MariaDB rewrites EXISTS into IN (exists_to_in) and then materialises every matching
    row, a quarter of a million for a common search word; evaluated row by row along
    the list's ordering index, the query stops at the first page instead. See
    utility_services/search.py. MySQL has no such switch.
    """
    if connection.vendor == "mysql" and connection.mysql_is_mariadb:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION optimizer_switch = 'exists_to_in=off'")


def connect_signals():
    connection_created.connect(tune_mariadb, dispatch_uid="core.db.tune_mariadb")
