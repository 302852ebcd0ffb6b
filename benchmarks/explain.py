"""Print the MariaDB query plan of every query the staff queue endpoints run.

    DB_NAME=gu_bench_1000000 DB_HOST=127.0.0.1 .venv/bin/python benchmarks/explain.py

Each endpoint is called once through Django's test client (as a bench agent); each
SELECT it ran is EXPLAINed: table, access type, index used and rows examined.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gas_utility.settings.base")
os.environ.setdefault("SECRET_KEY", "explain-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402

URLS = [
    "/api/admin/requests/",
    "/api/admin/requests/?status=Pending&status=In%20Progress",
    "/api/admin/requests/?search=boiler",
    "/api/admin/requests/?search=smith+kitchen",
    "/api/admin/requests/?overdue=true&ordering=due_at",
    "/api/admin/requests/?assignee=none&ordering=-updated_at",
    "/api/admin/requests/?type_of_request=Gas%20Leak&priority=Emergency",
    "/api/track/",
]


def main():
    client = Client()
    agent = User.objects.filter(role=User.Role.AGENT).first()
    customer = User.objects.filter(username__startswith="bench-c").first()
    for url in URLS:
        client.force_login(customer if url.startswith("/api/track/") else agent)
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        print(f"\n## GET {url} -> {status}")
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or "django_session" in sql or "FROM `accounts_user` WHERE" in sql:
                continue
            print(f"\n{sql[:300]}{' ...' if len(sql) > 300 else ''}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql)
                columns = [c[0] for c in cursor.description]
                for row in cursor.fetchall():
                    plan = dict(zip(columns, row, strict=True))
                    print(
                        f"  {plan['table']!s:<28} type={plan['type']!s:<7} key={plan['key']!s:<28} "
                        f"rows={plan['rows']!s:<9} {plan['Extra'] or ''}"
                    )


if __name__ == "__main__":
    main()
