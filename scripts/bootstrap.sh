#!/usr/bin/env bash
# Create .venv and install a lock: `run` the site's (requirements.lock, for make run), `test` the site's and the test
# tools' (requirements-dev.lock, for make test). Does nothing when that lock, or for `run` the dev lock (a superset of
# it), is what .venv has.
set -euo pipefail
cd "$(dirname "$0")/.."

case ${1:-} in
    run) lock=requirements.lock; enough=(requirements.lock requirements-dev.lock) ;;
    test) lock=requirements-dev.lock; enough=(requirements-dev.lock) ;;
    *) echo "usage: scripts/bootstrap.sh run|test" >&2; exit 2 ;;
esac

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
    echo "MovieRec needs Python 3.11 (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
}

for name in "${enough[@]}"; do
    stamp=.venv/.$name.sha256
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha256sum "$name" | cut -d' ' -f1)" ]; then
        echo "The dependencies in .venv are up to date ($name)."
        exit 0
    fi
done
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
echo "Installing $lock into .venv..."
# The lock has every package with its hashes: pip installs exactly those files, and nothing a lock does not name.
# --no-deps: the lock is already resolved; re-resolving it let a release newer than a pin (uvicorn[standard] asked
# for by python-fasthtml) fail hash mode although the pin was in the lock.
.venv/bin/python -m pip install --require-hashes --no-deps --progress-bar on -r "$lock"
sha256sum "$lock" | cut -d' ' -f1 > ".venv/.$lock.sha256"
