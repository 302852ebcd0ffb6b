"""Per-connection database settings that Django's OPTIONS cannot express."""

from django.db.backends.signals import connection_created


def tune_mariadb(sender, connection, **kwargs):
    """On MariaDB, keep correlated EXISTS subqueries correlated.

    MariaDB rewrites EXISTS into IN (exists_to_in) and then materialises every matching
    row (a quarter of a million, for the common search word the term table once probed this
    way); evaluated row by row along the list's ordering index, such a query stops at the
    first page instead. Search no longer uses EXISTS (see utility_services/search.py); the
    switch stays for any correlated EXISTS filter. MySQL has no such switch.
    """
    if connection.vendor == "mysql" and connection.mysql_is_mariadb:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION optimizer_switch = 'exists_to_in=off'")


def connect_signals():
    connection_created.connect(tune_mariadb, dispatch_uid="core.ops.db.tune_mariadb")
