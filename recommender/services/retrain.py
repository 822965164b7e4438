"""The retrain: one at a time under a Redis lock, queued by task name, run top-down, and its nightly schedule.

``model_retrain`` reads as the retrain runs: take the lock, read the ratings and what people did besides rating
(ratings.training_signals), skip when nothing changed, train both models (torch is imported here, in the worker,
when it trains), export, promote, prune. The web process imports this module to queue a retrain
(``retrain_enqueue``) and never trains.
"""

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import redis
from celery import current_app
from django.conf import settings
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from kombu.exceptions import OperationalError

from ratings.selectors import movie_genre_names, ratings_fingerprint, ratings_frame
from ratings.training_signals import training_fingerprint, training_signals_frame
from recommender.locks import HeartbeatLock
from recommender.models import ModelVersion
from recommender.services.outcomes import Outcome, OutcomeStatus
from recommender.services.registry import (
    version_create,
    version_fail,
    version_finish,
    version_promote,
    versions_interrupted_fail,
    versions_prune,
)
from recsys.params import RatingParams

logger = logging.getLogger(__name__)

# The Celery task's name: the queue knows it by this, so enqueuing needs no import of the task module.
RETRAIN_TASK = "recommender.tasks.retrain"
RETRAIN_LOCK_KEY = "movierec:recommender:retrain:lock"
RETRAIN_QUEUED_KEY = "movierec:recommender:retrain:queued"
RETRAIN_SCHEDULE_NAME = "recommender: retrain"
REDIS_TIMEOUT_S = 2.0

RETRAIN_BUSY = "A retrain is already running or queued; no other was started."
RETRAIN_QUEUED = "Retrain queued (task {task}): the new version appears once trained."
RETRAIN_UNAVAILABLE = "The retrain could not be queued: the task broker (Redis) does not answer."
RETRAIN_SKIPPED = "the ratings, clicks and marks have not changed since the active version v{version}"


def _redis() -> redis.Redis:
    # Timeouts: a Redis that hangs (not dead, not answering) must cost the admin and the API seconds, not forever.
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )


@contextmanager
def retrain_lock() -> Iterator[bool]:
    """Yields whether this caller holds the retrain lock, kept by a heartbeat while it does (recommender.locks).

    The lock expires RECOMMENDER_RETRAIN_LOCK_SECONDS after it was last renewed: a retrain of any length keeps
    it, and a worker killed mid-training frees it within that time.
    """
    lock = HeartbeatLock(client=_redis(), key=RETRAIN_LOCK_KEY, seconds=settings.RECOMMENDER_RETRAIN_LOCK_SECONDS)
    if not lock.acquire():
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def retrain_running() -> bool:
    """Whether a retrain holds the lock, or has been queued and not started yet."""
    return bool(_redis().exists(RETRAIN_LOCK_KEY, RETRAIN_QUEUED_KEY))


def retrain_enqueue(*, force: bool = True) -> str | None:
    """Queue the retrain task unless one is queued or running: the task id, or None (busy).

    The lock alone cannot tell two clicks apart while the first task waits in the queue of a one-process
    worker; the queued mark can. The task clears it when it starts; it expires after
    RECOMMENDER_RETRAIN_QUEUED_SECONDS, so that a task lost with its broker cannot block retrains forever.
    """
    client = _redis()
    if client.exists(RETRAIN_LOCK_KEY):
        return None
    if not client.set(RETRAIN_QUEUED_KEY, "1", nx=True, ex=settings.RECOMMENDER_RETRAIN_QUEUED_SECONDS):
        return None
    try:
        return current_app.send_task(RETRAIN_TASK, kwargs={"force": force}).id
    except Exception:
        client.delete(RETRAIN_QUEUED_KEY)
        raise


def retrain_request(*, force: bool = True) -> Outcome:
    """Queue a retrain for a person who asked for one ("Retrain now" means a new version: forced by default)."""
    try:
        task_id = retrain_enqueue(force=force)
    except (redis.exceptions.RedisError, OperationalError):  # Redis holds the retrain lock and is the broker
        return Outcome(status=OutcomeStatus.UNAVAILABLE, message=RETRAIN_UNAVAILABLE)
    if task_id is None:
        return Outcome(status=OutcomeStatus.BUSY, message=RETRAIN_BUSY)
    return Outcome(status=OutcomeStatus.QUEUED, message=RETRAIN_QUEUED.format(task=task_id), task_id=task_id)


def rating_params_resolve(*, algorithm: str | None = None, overrides: Mapping[str, Any] | None = None) -> RatingParams:
    """The algorithm's defaults (RECOMMENDER_ALGORITHM when None), the settings' thread count, then ``overrides``;
    an unknown algorithm or hyperparameter is a TrainingError."""
    defaults = RatingParams.default(algorithm or settings.RECOMMENDER_ALGORITHM)
    return defaults.with_overrides({"threads": settings.RECOMMENDER_TORCH_THREADS, **(overrides or {})})


def model_retrain(
    *,
    force: bool = False,
    algorithm: str | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    activate: bool = True,
    progress: bool = False,
) -> Outcome:
    """Train a new version from every rating in the database (and the clicks and marks, for the ranking model),
    promote it, prune old versions.

    Runs alone (Redis lock; otherwise busy); skips when the ratings, clicks and marks are unchanged since the active
    version unless ``force``. Any error marks the version failed, deletes its files and is raised again; the active
    version stays as it was.
    """
    with retrain_lock() as acquired:
        if not acquired:
            return Outcome(status=OutcomeStatus.BUSY, message=RETRAIN_BUSY)
        _redis().delete(RETRAIN_QUEUED_KEY)
        interrupted = versions_interrupted_fail()
        if interrupted:
            logger.warning("marked interrupted versions failed: %s", interrupted)
        params = rating_params_resolve(algorithm=algorithm, overrides=hyperparameters)
        ratings, implicit = ratings_frame(), training_signals_frame()
        fingerprint = training_fingerprint(ratings_fingerprint=ratings_fingerprint(ratings=ratings), signals=implicit)
        active = ModelVersion.objects.active().first()
        if not force and active is not None and active.ratings_fingerprint == fingerprint:
            message = RETRAIN_SKIPPED.format(version=active.pk)
            return Outcome(status=OutcomeStatus.SKIPPED, version=active, message=message)

        from recsys.trainers import models_train  # torch and fastai: the worker's, never the web's

        version, staging = version_create(
            params=params,
            n_ratings=len(ratings),
            n_users=int(ratings["user"].nunique()),
            n_movies=int(ratings["movie"].nunique()),
            fingerprint=fingerprint,
        )
        try:
            trained = models_train(
                ratings=ratings,
                params=params,
                genres=movie_genre_names(),
                implicit=implicit,
                progress=progress,
                path=staging,
            )
            version = version_finish(version=version, trained=trained, staging=staging)
        except BaseException as error:  # the soft time limit and interrupts too: the files must go
            version_fail(version=version, error=f"{type(error).__name__}: {error}")
            raise
        status, message = OutcomeStatus.READY, ""
        if activate:
            activated, message = version_promote(version=version)
            rejected = version.status == ModelVersion.Status.REJECTED
            status = (
                OutcomeStatus.ACTIVATED if activated else OutcomeStatus.REJECTED if rejected else OutcomeStatus.READY
            )
        pruned = versions_prune()
        version.refresh_from_db()
        return Outcome(status=status, version=version, message=message, pruned=tuple(pruned))


def retrain_schedule_ensure(*, reset: bool = False) -> tuple[PeriodicTask, bool]:
    """The periodic retrain in django-celery-beat, created from RECOMMENDER_RETRAIN_CRONTAB when missing.

    Idempotent: an existing schedule, perhaps edited in the admin, is kept unless ``reset``. The scheduled run is
    not forced, so a night without new ratings trains nothing. Returns (task, created).
    """
    existing = PeriodicTask.objects.filter(name=RETRAIN_SCHEDULE_NAME).first()
    if existing is not None and not reset:
        return existing, False
    minute, hour, day_of_month, month_of_year, day_of_week = settings.RECOMMENDER_RETRAIN_CRONTAB.split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=settings.CELERY_TIMEZONE,
    )
    task, created = PeriodicTask.objects.update_or_create(
        name=RETRAIN_SCHEDULE_NAME,
        defaults={
            "task": RETRAIN_TASK,
            "crontab": crontab,
            "interval": None,
            "kwargs": json.dumps({"force": False}),
            "enabled": True,
        },
    )
    return task, created
