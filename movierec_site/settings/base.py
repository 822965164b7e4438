"""Settings shared by every environment, read from the environment (django-environ).

Each block links the documentation of the settings it sets. Development defaults are embedded so that a fresh
clone runs with no configuration: SQLite under ``var/``, Redis on localhost, models under ``var/models``.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ

from movierec_site.errors import sentry_init
from movierec_site.logs import logging_config
from movierec_site.model_store import model_storage_entry

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-never-used-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.apps.AttemptsLimitedAdminConfig",  # django.contrib.admin, its log-in limited like the site's
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "ratings",
    "recommender",
    "accounts",
    "insights",
    "feedback",
    "ninja",  # its templates and static files: the API docs are served with local assets, no CDN
    "api",
]

MIDDLEWARE = [
    "movierec_site.request_id.RequestIdMiddleware",  # first: every later middleware's log lines carry the id
    "movierec_site.metrics.MetricsMiddleware",  # request counts and latencies by route, for /metrics
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so that static files carry the policy too (an SVG opened on its own can hold a script).
    "movierec_site.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "movierec_site.middleware.MethodNotAllowedMessageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # https://django-axes.readthedocs.io/en/latest/2_installation.html: last, so it sees the final response.
    "axes.middleware.AxesMiddleware",
]

# Sent by movierec_site.middleware when set: production sets it (production.py); development's debug pages need
# inline scripts.
CONTENT_SECURITY_POLICY: str | None = None

ROOT_URLCONF = "movierec_site.urls"
WSGI_APPLICATION = "movierec_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes a new model version. IMMEDIATE: a transaction takes
    # the write lock when it begins, waiting up to the timeout; with the default DEFERRED, a transaction that reads
    # before it writes (update_or_create) fails at once with "database is locked" when another process writes.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-engine: database sessions that know their user, so
# that "log out everywhere" ends every one of them (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# https://whitenoise.readthedocs.io/en/stable/django.html
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# https://docs.djangoproject.com/en/5.2/topics/email/
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="MovieRec <noreply@movierec.local>")

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# https://docs.djangoproject.com/en/5.2/topics/cache/#redis: one cache that every process shares, on REDIS_URL's
# server in a database of its own (CACHE_REDIS_DB); a Redis that does not answer is a miss (movierec_site.cache).
CACHE_REDIS_DB = env.int("CACHE_REDIS_DB", default=1)
CACHES = {
    "default": {
        "BACKEND": "movierec_site.cache.FailOpenRedisCache",
        "LOCATION": env("CACHE_URL", default=urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{CACHE_REDIS_DB}"))),
        "KEY_PREFIX": "movierec",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=1800)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=2100)
# The visibility timeout must exceed the hard limit, or Redis redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TRACK_STARTED = True
# https://docs.celeryq.dev/en/stable/userguide/routing.html: the retrain (recommender.services.retrain.RETRAIN_TASK)
# on a queue of its own, `training`, so that a long retrain never holds up the light tasks, which stay on Celery's
# default queue, `celery`. The Procfile's single-host worker listens on both (-Q celery,training); a training host
# runs `celery -A movierec_site worker -Q training --concurrency 1`, a light worker `-Q celery`.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"recommender.tasks.retrain": {"queue": "training"}}
# https://django-celery-beat.readthedocs.io/: the schedule lives in the database, editable in the admin, and only
# the beat that holds a Redis lock sends it, so that a second beat started by mistake sends nothing twice
# (movierec_site.beat). Each send is written down at once, so that a beat taking over knows what was sent.
CELERY_BEAT_SCHEDULER = "movierec_site.beat:SingleBeatScheduler"
CELERY_BEAT_SYNC_EVERY = 1
# The beat lock expires this many seconds after its holder last renewed it: a standby beat takes over within that
# once the holder dies (at once when it stops cleanly).
BEAT_LOCK_SECONDS = env.int("BEAT_LOCK_SECONDS", default=60)
CELERY_TIMEZONE = TIME_ZONE

# Where the worker trains and exports a version (a staging folder each) and, in the default file-system store,
# where the versions live, one folder per version.
MODEL_DIR = Path(env("MODEL_DIR", default=str(VAR_DIR / "models")))
# https://docs.djangoproject.com/en/5.2/ref/settings/#storages: the model store, MODEL_STORAGE=filesystem (MODEL_DIR)
# or s3 with MODEL_S3_BUCKET, MODEL_S3_PREFIX, MODEL_S3_ENDPOINT_URL, AWS_* (movierec_site.model_store).
STORAGES["models"] = model_storage_entry(os.environ)
# This host's verified copies of the versions it serves, one folder per version (recommender.services.artifact_cache).
# Unset with the file-system store, the cache is MODEL_DIR itself: the store's own folders are read in place.
MODEL_CACHE_DIR: Path | None = Path(env("MODEL_CACHE_DIR")) if env("MODEL_CACHE_DIR", default="") else None
if MODEL_CACHE_DIR is None and env("MODEL_STORAGE", default="filesystem") == "s3":
    MODEL_CACHE_DIR = VAR_DIR / "model-cache"
# Where downloaded datasets (MovieLens, the recbole wheel) are cached.
DATA_CACHE_DIR = Path(env("DATA_CACHE_DIR", default=str(VAR_DIR / "cache")))

# https://developer.themoviedb.org/docs/getting-started: `manage.py posters_fetch` asks TMDB for each movie's poster
# and overview when TMDB_API_KEY is set (a v3 API key, or a v4 read access token), and keeps the image files in
# POSTER_DIR; without them every poster is drawn by the site (ratings.posters). TMDB_IMAGE_URL is the image base
# and size (https://developer.themoviedb.org/docs/image-basics). A 429's Retry-After is waited up to
# TMDB_RETRY_AFTER_MAX_SECONDS; past that, or when TMDB does not answer in TMDB_TIMEOUT_SECONDS, the run stops.
TMDB_API_KEY = env("TMDB_API_KEY", default="")
TMDB_API_URL = env("TMDB_API_URL", default="https://api.themoviedb.org/3")
TMDB_IMAGE_URL = env("TMDB_IMAGE_URL", default="https://image.tmdb.org/t/p/w342")
TMDB_TIMEOUT_SECONDS = env.float("TMDB_TIMEOUT_SECONDS", default=10.0)
TMDB_RETRY_AFTER_MAX_SECONDS = env.float("TMDB_RETRY_AFTER_MAX_SECONDS", default=60.0)
POSTER_DIR = Path(env("POSTER_DIR", default=str(VAR_DIR / "posters")))

# https://docs.djangoproject.com/en/5.2/topics/logging/: plain text, or one JSON object a line with LOG_FORMAT=json,
# each line with its request id (web) or task id (worker); movierec_site.logs. Celery's worker and beat use it too.
LOGGING = logging_config(log_format=env("LOG_FORMAT", default="plain"), level=env("LOG_LEVEL", default="INFO"))

# https://docs.sentry.io/platforms/python/integrations/django/: errors of web, worker and beat reported to Sentry when
# SENTRY_DSN is set; without it, nothing is started (movierec_site.errors).
SENTRY_DSN = env("SENTRY_DSN", default="")

# https://prometheus.github.io/client_python/: GET /metrics for staff, or for a scraper that sends this bearer token;
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself) adds up gunicorn's workers (movierec_site.metrics).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
sentry_init(
    dsn=SENTRY_DSN,
    environment=env("SENTRY_ENVIRONMENT", default="production"),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)

# API ----------------------------------------------------------------------------------------------------------------
# The JSON API (api/). Rates are "<count>/<s|m|h|d>", fixed windows counted in Redis (REDIS_URL).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
# Sign-up, log-in, token and password-reset requests, of the site's forms and of the API together (one budget),
# per address and per account named (username, email address): accounts/rate_limits.py.
API_RATE_AUTH = env("API_RATE_AUTH", default="20/m")
API_RATE_WRITE_USER = env("API_RATE_WRITE_USER", default="120/m")  # writes, per user
API_RATE_WRITE_ADDRESS = env("API_RATE_WRITE_ADDRESS", default="600/m")  # writes, per address
API_RATE_KEY_PREFIX = "movierec:api:rate"
# https://django-ninja.dev/guides/throttling/: how many proxies put their address in X-Forwarded-For; 0 trusts only
# REMOTE_ADDR, so that a client cannot pick its own address to escape the limits.
NINJA_NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# END API ------------------------------------------------------------------------------------------------------------

# Recommender training -----------------------------------------------------------------------------------------------
# The rating model's architecture for `manage.py train` and the retrain task (recsys.params.Algorithm: dot or nn);
# its hyperparameters are recsys.params.RATING_DEFAULTS, chosen by measurement (bench/train_speed.py).
RECOMMENDER_ALGORITHM = env("RECOMMENDER_ALGORITHM", default="dot")
# Torch and BLAS threads of a training process: more only spin against each other on a shared CPU.
RECOMMENDER_TORCH_THREADS = env.int("RECOMMENDER_TORCH_THREADS", default=1)
# A new version is activated only when its validation RMSE is at most the active version's plus this.
RECOMMENDER_PROMOTION_TOLERANCE = env.float("RECOMMENDER_PROMOTION_TOLERANCE", default=0.01)
# With this, a retrained version whose algorithm is not the active one's is kept ready, for an online comparison
# to decide (the Model pages' "Compare"), rather than activated on its offline figures.
RECOMMENDER_PROMOTION_ONLINE_WIN = env.bool("RECOMMENDER_PROMOTION_ONLINE_WIN", default=False)
# Versions kept besides the active one; the retrain deletes older ones, rows and files.
RECOMMENDER_KEEP_VERSIONS = env.int("RECOMMENDER_KEEP_VERSIONS", default=5)
# The retrain lock expires this many seconds after its last renewal; the running retrain renews it every third of
# that (recommender.services.retrain.retrain_lock), so a killed worker frees it within a minute.
RECOMMENDER_RETRAIN_LOCK_SECONDS = env.int("RECOMMENDER_RETRAIN_LOCK_SECONDS", default=60)
# The mark of a queued retrain, which refuses a second while the first waits for a worker, expires after this: it
# outlives the hard time limit, so that a queue behind a long retrain is not doubled.
RECOMMENDER_RETRAIN_QUEUED_SECONDS = env.int("RECOMMENDER_RETRAIN_QUEUED_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
# The nightly schedule that `manage.py retrain_schedule` creates (cron fields: minute hour day month weekday, UTC);
# edit it afterwards in the admin (Periodic tasks).
RECOMMENDER_RETRAIN_CRONTAB = env("RECOMMENDER_RETRAIN_CRONTAB", default="30 3 * * *")
# END Recommender training -------------------------------------------------------------------------------------------

# Recommender serving ------------------------------------------------------------------------------------------------
# How new users are placed before the next retrain: "fold_in" (ridge against the frozen movie factors) or "classic"
# (average of the most similar users); bench/cold_start.py measured both. The retrain reads it too: only for
# "classic" (or an nn model) does a version's artifact carry the training ratings, which classic compares against.
RECOMMENDER_COLD_START = env("RECOMMENDER_COLD_START", default="fold_in")
# How often a web process asks the database which version is active (one indexed query), to swap in a new one.
RECOMMENDER_ACTIVE_CHECK_SECONDS = env.float("RECOMMENDER_ACTIVE_CHECK_SECONDS", default=2.0)
# Placements of people kept per served model (recommender.services.placements): their next page is not placed again.
RECOMMENDER_PLACEMENTS_KEPT = env.int("RECOMMENDER_PLACEMENTS_KEPT", default=1_000)
# How long a web process keeps the per-movie rating counts and Bayesian means behind the popularity list.
RECOMMENDER_STATS_SECONDS = env.float("RECOMMENDER_STATS_SECONDS", default=300.0)

# Feedback events ----------------------------------------------------------------------------------------------------
# The lists shown to signed-in people and what they did from them (feedback/): kept this many days, then deleted by
# the daily task below (feedback.services.events_expire); an account's events go with the account. The hourly one
# rolls up the days that are over, which the online metrics then read (feedback.rollup).
FEEDBACK_RETENTION_DAYS = env.int("FEEDBACK_RETENTION_DAYS", default=180)
# https://django-celery-beat.readthedocs.io/en/latest/#example-creating-interval-based-periodic-task: beat copies
# these entries into its database schedule at start, where the admin shows them.
CELERY_BEAT_SCHEDULE = {
    "feedback-events-expire": {"task": "feedback.tasks.events_expire", "schedule": 24 * 60 * 60.0},
    "feedback-online-days-roll-up": {"task": "feedback.tasks.online_days_roll_up", "schedule": 60 * 60.0},
}
# END Feedback events ------------------------------------------------------------------------------------------------
