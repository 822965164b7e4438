#!/usr/bin/env bash
# One command for a fresh machine: install the runtime lock, start Redis if none answers, prepare the database and
# the first model, then run web, Celery worker and beat together (honcho, Procfile) until Ctrl-C, which stops them
# and the Redis this script started (never one it found running), and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Installing the site's dependencies into .venv (requirements.lock; minutes the first time, then nothing)"
bash scripts/bootstrap.sh run

export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-movierec_site.settings.base}
export DEBUG=${DEBUG:-false}
export PORT=${PORT:-8000}
export HOST=${HOST:-127.0.0.1}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
case $HOST in 0.0.0.0 | "::" | "") address=127.0.0.1 ;; *:*) address="[$HOST]" ;; *) address=$HOST ;; esac
url="http://$address:$PORT/"

step "Looking for Redis at $REDIS_URL (started here if none answers on this machine)"
mkdir -p var/run
redis_pidfile="var/run/redis-$(echo "$REDIS_URL" | cksum | cut -d' ' -f1).pid"
rm -f "$redis_pidfile"
poller=
stop() {
    if [ -n "$poller" ]; then kill "$poller" 2>/dev/null || true; fi
    if [ -s "$redis_pidfile" ]; then
        redis_pid=$(cat "$redis_pidfile")
        if kill "$redis_pid" 2>/dev/null; then
            while kill -0 "$redis_pid" 2>/dev/null; do sleep 0.1; done
        fi
        rm -f "$redis_pidfile"
        echo "Stopped the Redis that make run started."
    fi
}
trap stop EXIT
REDIS_URL=$(.venv/bin/python scripts/ensure_redis.py --pidfile "$redis_pidfile")

export DJANGO_SUPERUSER_USERNAME=${DJANGO_SUPERUSER_USERNAME:-admin}
if [ -z "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
    [ -s var/admin-password ] || (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))' > var/admin-password)
    DJANGO_SUPERUSER_PASSWORD=$(cat var/admin-password)
    export DJANGO_SUPERUSER_PASSWORD
fi

step "Applying database migrations"
.venv/bin/python manage.py migrate --noinput
step "Collecting static files"
.venv/bin/python manage.py collectstatic --noinput --verbosity 0
step "Preparing the site: admin user, MovieLens 100k, nightly retrain, first model (each once; about 20 s the first time)"
.venv/bin/python manage.py site_setup

step "Starting web, worker and beat (Procfile); the address follows once the site answers"
# /metrics adds up gunicorn's workers through this folder (movierec_site.metrics): a fresh one at each start.
if [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    export PROMETHEUS_MULTIPROC_DIR=$PWD/var/run/prometheus
    rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
banner="
  MovieRec is ready at $url
  Admin:  ${url}admin/   user: ${DJANGO_SUPERUSER_USERNAME}   password: ${DJANGO_SUPERUSER_PASSWORD}
  Redis:  ${REDIS_URL}      Stop with Ctrl-C.
"
.venv/bin/python scripts/site_wait.py "$url" --message "$banner" &
poller=$!

# With a terminal, honcho runs as its own foreground job: Ctrl-C reaches it alone, not make or this script, so make
# reports no error; honcho stops web, worker and beat, and this script goes on to stop its Redis. Without one (a
# test, a supervisor), a SIGINT or SIGTERM to the process group reaches honcho as well, and is only waited out here.
trap : INT TERM
honcho=(.venv/bin/honcho start -f Procfile)
if [ "${LOG_FORMAT:-plain}" = json ]; then
    # One JSON object a line: no honcho prefix before each, no Celery banner (printed, not logged).
    honcho+=(--no-prefix)
    export CELERY_QUIET=${CELERY_QUIET:-1}
fi
[ -t 0 ] && set -m
status=0
"${honcho[@]}" || status=$?
set +m
# honcho exits 130 after a SIGINT and 143 after a SIGTERM: a stop that was asked for.
case $status in
    130 | 143) echo "Stopped web, worker and beat." ;;
    *) echo "A process of the Procfile stopped by itself (exit $status): its lines above say why." >&2; exit "$status" ;;
esac
