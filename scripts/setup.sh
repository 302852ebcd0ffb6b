#!/usr/bin/env bash
# Prepare this checkout: system packages for mysqlclient, a virtual environment in
# .venv, and the pinned Python dependencies. Safe to run again (it skips what is done).
#   scripts/setup.sh        runtime dependencies
#   scripts/setup.sh dev    runtime + test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."

# mysqlclient (the MySQL/MariaDB driver) builds from source: it needs these Debian packages.
system_packages=(pkg-config default-libmysqlclient-dev gcc)
# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
if [ "${1:-}" = "dev" ]; then
    system_packages+=(chromium)
fi
missing=()
for package in "${system_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "Installing system packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "Missing system packages: ${missing[*]}" >&2
        echo "Install them with: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

python=""
for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        python=$candidate
        break
    fi
done
[ -n "$python" ] || { echo "Python 3.11 is required." >&2; exit 1; }

[ -x .venv/bin/python ] || "$python" -m venv .venv

requirements=requirements.txt
[ "${1:-}" = "dev" ] && requirements=requirements-dev.txt
# Reinstall only when the pinned requirements change.
stamp=".venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)-${1:-runtime}"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$requirements"
    touch "$stamp"
fi
