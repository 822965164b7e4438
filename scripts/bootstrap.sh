#!/usr/bin/env bash
# Create .venv and install the pinned dependencies; does nothing when requirements.lock has not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
    echo "MovieRec needs Python 3.11 (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
}

stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
echo "Installing dependencies into .venv (a few minutes the first time)..."
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet --progress-bar on -r requirements.lock
echo "$wanted" > "$stamp"
