"""The Celery application: Redis broker, configuration read from Django settings (CELERY_*), and the log lines of
worker and beat formatted as the web's (settings.LOGGING, movierec_site.logs), with the task id and the id of the
request that queued the task."""

import json
import logging
import logging.config
import os
import sys
from typing import Any, TextIO

from celery import Celery, Task, signals

from movierec_site import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec_site.settings.base")

# The message header that carries the queuing request's id to the worker.
REQUEST_ID_HEADER = "request_id"

app = Celery("movierec_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Connected at all, a setup_logging receiver keeps Celery from installing its own format: settings.LOGGING applies
# instead. celeryd_init comes earlier, before the worker warns about its privileges: warnings are log lines too.
@signals.celeryd_init.connect
@signals.setup_logging.connect
def _logging_setup(**_: Any) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)
    if settings.LOGGING["handlers"]["console"]["formatter"] == "json":
        import celery.apps.worker

        # A monkeypatch of a function that celery-types does not declare, hence setattr.
        setattr(celery.apps.worker, "safe_say", _say_as_json)  # noqa: B010


def _say_as_json(msg: str, f: TextIO | None = sys.__stderr__) -> None:
    # Celery's notices from its signal handlers ("worker: Warm shutdown"): it writes them with os.write, not through
    # logging (whose locks a signal handler could deadlock on), and so does this, as a JSON line like the others.
    record = logging.LogRecord("celery.apps.worker", logging.WARNING, __file__, 0, msg, None, None)
    fields = {"time": logging.Formatter().formatTime(record), "level": "WARNING", "logger": record.name}
    line = json.dumps({**fields, "message": msg, "request_id": None, "task_id": None})
    os.write((f or sys.stderr).fileno(), f"{line}\n".encode())


@signals.before_task_publish.connect
def _request_id_send(headers: dict[str, Any], **_: Any) -> None:
    if value := logs.request_id.get():
        headers.setdefault(REQUEST_ID_HEADER, value)


@signals.task_prerun.connect
def _task_context_enter(task_id: str, task: Task[Any, Any], **_: Any) -> None:
    logs.task_id.set(task_id)
    logs.request_id.set(getattr(task.request, REQUEST_ID_HEADER, None) or "")


@signals.task_postrun.connect
def _task_context_leave(**_: Any) -> None:
    logs.task_id.set("")
    logs.request_id.set("")
