#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DB_NAME etc. to run it on MySQL/MariaDB).
# Extra arguments go to pytest, e.g. scripts/test.sh -k login -x
# PYTHON and VENV choose the interpreter and the virtual environment (see setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
exec "${VENV:-.venv}/bin/pytest" "$@"
