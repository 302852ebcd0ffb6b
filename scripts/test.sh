#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DB_NAME etc. to run it on MySQL/MariaDB).
# Extra arguments go to pytest, e.g. scripts/test.sh -k login -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
exec .venv/bin/pytest "$@"
