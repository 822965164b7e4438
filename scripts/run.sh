#!/usr/bin/env bash
# One command for a fresh machine: install, start Redis if needed, prepare the database and the first model,
# then run web, Celery worker and beat together (honcho, Procfile).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-movierec_site.settings.base}
export DEBUG=${DEBUG:-false}
export PORT=${PORT:-8000}
REDIS_URL=$(.venv/bin/python scripts/ensure_redis.py)
export REDIS_URL

mkdir -p var
export DJANGO_SUPERUSER_USERNAME=${DJANGO_SUPERUSER_USERNAME:-admin}
if [ -z "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
    [ -s var/admin-password ] || (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))' > var/admin-password)
    DJANGO_SUPERUSER_PASSWORD=$(cat var/admin-password)
    export DJANGO_SUPERUSER_PASSWORD
fi

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput --verbosity 0
.venv/bin/python manage.py site_setup

cat <<MSG

  MovieRec is starting at http://127.0.0.1:${PORT}/
  Admin:  http://127.0.0.1:${PORT}/admin/   user: ${DJANGO_SUPERUSER_USERNAME}   password: ${DJANGO_SUPERUSER_PASSWORD}
  Redis:  ${REDIS_URL}      Stop with Ctrl-C.

MSG
exec .venv/bin/honcho start -f Procfile
