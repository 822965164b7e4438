#!/usr/bin/env bash
# Regenerate both locks with hashes after a change to requirements*.in: the runtime lock first, since the dev lock is
# constrained by it. Needs pip-tools (in the dev lock: `make test` installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

compile=${PIP_COMPILE:-.venv/bin/pip-compile}
for name in requirements requirements-dev; do
    echo "==> Resolving $name.in into $name.lock"
    "$compile" --quiet --generate-hashes --strip-extras --allow-unsafe --upgrade \
        --no-emit-index-url --no-emit-find-links \
        --output-file "$name.lock" "$name.in"
    # The pin stays as requirements.in says it (torch==2.13.0); the hash alone picks this machine's CPU build.
    sed -E -i 's/^(torch(vision)?==[0-9.]+)\+cpu /\1 /' "$name.lock"
done
