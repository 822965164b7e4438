"""The site's log lines: plain text by default, one JSON object a line with LOG_FORMAT=json (python-json-logger).

Every line carries the id of the request it belongs to (web; movierec_site.request_id sets it) or of the Celery task
and the request that queued it (worker; movierec_site.celery sets them), so that a retrain asked for from a page can
be followed from the web's lines into the worker's. Nothing here imports Django: settings build LOGGING from it.
"""

import logging
from contextvars import ContextVar
from typing import Any

# The request being served (web) or the request that queued the running task (worker); "" outside both.
request_id: ContextVar[str] = ContextVar("request_id", default="")
# The Celery task being run; "" outside a task.
task_id: ContextVar[str] = ContextVar("task_id", default="")

FORMATS = ("plain", "json")
UNKNOWN_FORMAT = "LOG_FORMAT is {value!r}; it takes one of: plain, json."
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id", "task_id"]
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``task_id`` to every record (None outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or None
        record.task_id = task_id.get() or None
        return True


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING (dictConfig) for one format: everything to stderr through one handler."""
    if log_format not in FORMATS:
        raise ValueError(UNKNOWN_FORMAT.format(value=log_format))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": JSON_FIELDS,
                "rename_fields": JSON_NAMES,
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # axes announces its version at every start of every process; its warnings (lockouts) still show.
            "django.db.backends": {"level": "WARNING"},
            "axes.apps": {"level": "WARNING"},
            # Celery's pool (billiard) logs here, a logger that does not propagate: without a handler of its own,
            # its lines would reach stderr unformatted.
            "multiprocessing": {"handlers": ["console"], "propagate": False},
        },
    }


def gunicorn_logconfig(*, log_format: str, level: str = "INFO") -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its own lines (start, workers, access log) in the site's format when that is
    json; empty for plain, which keeps gunicorn's own format."""
    if log_format == "plain":
        return {}
    config = logging_config(log_format=log_format, level=level)
    own = {"handlers": ["console"], "level": "INFO", "propagate": False}
    config["loggers"].update({"gunicorn.error": own, "gunicorn.access": own})
    return config
