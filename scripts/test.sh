#!/usr/bin/env bash
# The test command: lint, the import contracts and the type check (pyproject.toml), then pytest (SQLite by default;
# PostgreSQL when DATABASE_URL points there).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
# The live-server tests serve static files the way production does: collected, through whitenoise.
DJANGO_SETTINGS_MODULE=movierec_site.settings.test .venv/bin/python manage.py collectstatic --noinput --verbosity 0
REDIS_URL=$(.venv/bin/python scripts/ensure_redis.py)
export REDIS_URL
export SCREENSHOT_DIR=${SCREENSHOT_DIR:-$PWD/test-artifacts/screenshots}
echo "Screenshots of the end-to-end tests go to $SCREENSHOT_DIR"
exec .venv/bin/pytest "$@"
