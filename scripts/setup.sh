#!/usr/bin/env bash
# Prepare this checkout: system packages for mysqlclient, a virtual environment in
# .venv, and the pinned Python dependencies. Safe to run again (it skips what is done).
#   scripts/setup.sh        runtime dependencies
#   scripts/setup.sh dev    runtime + test and lint tools
# Python: the newest of python3.13, python3.12, python3.11 on PATH (or PYTHON=/path/to/python).
# VENV=dir puts the virtual environment elsewhere (CI keeps one per Python version).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}

supported() {
    "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1
}

python=${PYTHON:-}
if [ -n "$python" ]; then
    supported "$python" || { echo "PYTHON=$python is not Python 3.11, 3.12 or 3.13." >&2; exit 1; }
else
    # A name on PATH may not run (a pyenv shim for a version that is not selected): try each.
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null && supported "$candidate"; then
            python=$candidate
            break
        fi
    done
fi
[ -n "$python" ] || { echo "Python 3.11, 3.12 or 3.13 is required (or set PYTHON=/path/to/python3.x)." >&2; exit 1; }

# mysqlclient (the MySQL/MariaDB driver) builds from source: it needs these Debian packages,
# and the interpreter's headers (python3-dev for Debian's own Python).
system_packages=(pkg-config default-libmysqlclient-dev gcc)
"$python" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || system_packages+=(python3-dev)
# Debian and Ubuntu ship venv's pip bootstrap separately.
"$python" -c 'import ensurepip' >/dev/null 2>&1 || system_packages+=(python3-venv)
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

# A virtual environment of an unsupported Python (an older checkout's) is made anew.
if [ -x "$venv/bin/python" ] && ! supported "$venv/bin/python"; then
    rm -rf "$venv"
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"

requirements=requirements.txt
[ "${1:-}" = "dev" ] && requirements=requirements-dev.txt
# Reinstall only when the pinned requirements change.
stamp="$venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)-${1:-runtime}"
if [ ! -f "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$requirements"
    touch "$stamp"
fi
echo "Using $("$venv/bin/python" --version) in $venv"
