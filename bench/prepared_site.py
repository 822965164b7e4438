"""A prepared copy of the site for the web benchmarks: SQLite with MovieLens 100k and an active trained model.

``prepare()`` builds it once under var/bench/site/ (``manage.py migrate``, ``import_movielens``, which fetches
MovieLens into the site's data cache, ``train``: about a minute) and copies it into a temporary folder for each
run, so the development database is never touched and a run's writes never leak into the next. ``server_env()``
is the environment of every process of a run: production settings on that copy, with the HTTPS redirect off
(plain HTTP on localhost) and rate limits out of the way. ``manage()`` is how a bench runs Django code there, and
``users_sign_in()`` gives a bench's visitors their accounts and browser sessions.
"""

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from common import BENCH_DIR, PYTHON, ROOT

PREPARED = BENCH_DIR / "site"
# PostgreSQL's model folder: the database outlives a run, so the versions its retrains activate must too.
POSTGRES_MODELS = BENCH_DIR / "site-postgres-models"


def server_env(workdir: Path, redis_url: str, *, database_url: str | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "movierec_site.settings.production",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "False",
        "DEBUG": "False",
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
        "MODEL_DIR": str(POSTGRES_MODELS if database_url else workdir / "models"),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "LOG_LEVEL": "WARNING",
        # Production refuses a mail backend that delivers nothing; the benches send no mail, on purpose.
        "EMAIL_UNDELIVERED_ALLOWED": "true",
        # The benches measure the site, not the limiter: one address drives every client.
        "API_RATE_AUTH": "100000/m",
        "API_RATE_WRITE_USER": "100000/m",
        "API_RATE_WRITE_ADDRESS": "100000/m",
        "AXES_FAILURE_LIMIT": "100000",
    }


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    """``manage.py`` with ``args`` in ``env``; its standard output when ``capture`` (else it goes to the terminal)."""
    done = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True,
                          capture_output=capture, text=True)  # fmt: skip
    return done.stdout or ""


def prepare(workdir: Path, redis_url: str, *, fresh: bool = False, database_url: str | None = None) -> None:
    """The prepared site in ``workdir`` (SQLite copy and models), built under var/bench/site/ on first use.

    With ``database_url`` (PostgreSQL), that database is migrated, filled and trained in place when it has no
    model yet, and used in place with its model folder POSTGRES_MODELS (a copy would lose the version that one
    run's retrain activates, which the next run serves): runs there add to what earlier runs left.
    """
    if database_url:
        env = server_env(workdir, redis_url, database_url=database_url)
        manage(env, "migrate", "--verbosity", "0")
        if fresh or not POSTGRES_MODELS.is_dir() or not any(POSTGRES_MODELS.iterdir()):
            print(f"Preparing {database_url}: import MovieLens 100k, train (once)", flush=True)
            manage(env, "import_movielens")
            manage(env, "train", "--force")
        return
    if fresh or not (PREPARED / "db.sqlite3").is_file():
        shutil.rmtree(PREPARED, ignore_errors=True)
        PREPARED.mkdir(parents=True)
        env = server_env(PREPARED, redis_url)
        print(f"Preparing {PREPARED}: migrate, import MovieLens 100k, train (once)", flush=True)
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "import_movielens")
        manage(env, "train")
        sqlite3.connect(PREPARED / "db.sqlite3").execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    shutil.copy(PREPARED / "db.sqlite3", workdir / "db.sqlite3")
    shutil.copytree(PREPARED / "models", workdir / "models")
    manage(server_env(workdir, redis_url), "migrate", "--verbosity", "0")  # migrations added since preparing


# Run by ``manage.py shell`` with the server's environment: users with sessions and first ratings, a staff token.
USERS_SIGN_IN = """
import json, os, random
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count
from django.utils import timezone
from api.services import token_create
from ratings.models import Movie, Rating
from recommender.models import MANAGE_PERMISSION

count, first, seed = (int(os.environ[name]) for name in ("BENCH_USERS", "BENCH_FIRST_RATINGS", "BENCH_SEED"))
rng = random.Random(seed)
popular = list(Movie.objects.annotate(n=Count("ratings")).order_by("-n").values_list("pk", flat=True)[:300])
User = get_user_model()
users = []
for i in range(count):
    user = User(username=f"load{seed}u{i}")
    user.set_unusable_password()
    users.append(user)
User.objects.bulk_create(users)
users = list(User.objects.filter(username__startswith=f"load{seed}u"))
now = timezone.now()
Rating.objects.bulk_create(
    Rating(user=u, movie_id=m, score=rng.choice([2.0, 3.0, 4.0, 5.0]), timestamp=now)
    for u in users for m in rng.sample(popular[:100], first)
)
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
sessions = {}
for user in users:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions[user.username] = session.session_key
staff = User.objects.create(username=f"load{seed}staff", is_staff=True)
app_label, codename = MANAGE_PERMISSION.split(".")
staff.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
print(json.dumps({"sessions": sessions, "staff_token": token_create(user=staff)[0], "movies": popular}))
"""


def users_sign_in(env: dict[str, str], *, count: int, first_ratings: int, seed: int) -> dict:
    """``count`` new users (usernames ``load<seed>u<n>``), each with ``first_ratings`` ratings of popular movies and
    a signed-in browser session, and a staff user allowed to retrain: {"sessions": {username: session key},
    "staff_token": an API token of the staff user, "movies": the 300 most rated movies' ids, most rated first}."""
    numbers = {"BENCH_USERS": count, "BENCH_FIRST_RATINGS": first_ratings, "BENCH_SEED": seed}
    printed = manage({**env, **{k: str(v) for k, v in numbers.items()}}, "shell", "-c", USERS_SIGN_IN, capture=True)
    return json.loads(printed.strip().splitlines()[-1])
