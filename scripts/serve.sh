#!/usr/bin/env bash
# Set up everything and serve the product on the embedded SQLite database, with demo data.
# Listens on http://127.0.0.1:8000/ (override with HOST and PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
venv=${VENV:-.venv}
# Development settings (DEBUG on); the .env below keeps one SECRET_KEY across restarts.
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-gas_utility.settings.local}

if [ ! -f .env ]; then
    # Local development settings; the secret is generated here and never committed.
    secret=$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')
    printf 'SECRET_KEY=%s\n' "$secret" > .env
    echo "Wrote .env for local development (a new SECRET_KEY)."
fi

"$venv/bin/python" manage.py migrate --no-input
"$venv/bin/python" manage.py seed_demo
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
echo
echo "API docs:     http://$host:$port/api/docs/"
echo "Django admin: http://$host:$port/admin/"
exec "$venv/bin/python" manage.py runserver "$host:$port"
