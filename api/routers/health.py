"""GET /api/health: does the database answer, does Redis, and is a model being served; /api/health/live (the process
answers, for a load balancer) and /api/health/ready (all of those and a Celery worker that answers a ping, for an
orchestrator)."""

from typing import Literal

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest
from kombu.exceptions import OperationalError
from ninja import Router, Schema, Status
from redis import RedisError

from accounts.rate_limits import redis_client
from api.schemas import CheckOut, HealthChecks, HealthOut
from recommender.services.serving import served_model

DATABASE_DOWN = "database does not answer"
REDIS_DOWN = "Redis does not answer"
NO_ACTIVE_MODEL = "no active model that can be served: recommendations fall back to popularity"
NO_WORKER = "no Celery worker answered a ping within {seconds:g} s: retrains would wait in the queue"
WORKER_UNCHECKED = "not asked: Redis, its broker, does not answer"
# A worker busy training still answers a ping (its main process does), so this is plenty on a healthy machine.
WORKER_PING_SECONDS = 1.0

router = Router(tags=["health"])


def _database() -> CheckOut:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return CheckOut(ok=False, detail=DATABASE_DOWN)
    return CheckOut(ok=True, detail="ok")


def _redis() -> CheckOut:
    try:
        redis_client(settings.REDIS_URL).ping()
    except RedisError:
        return CheckOut(ok=False, detail=REDIS_DOWN)
    return CheckOut(ok=True, detail="ok")


def _model() -> CheckOut:
    # The model this process actually serves: an active version whose artifact fails its SHA-256 does not count.
    served = served_model()
    if served is None:
        return CheckOut(ok=False, detail=NO_ACTIVE_MODEL)
    return CheckOut(ok=True, detail=f"version {served.version.pk} ({served.version.algorithm})")


def _worker(*, broker_ok: bool) -> CheckOut:
    if not broker_ok:
        return CheckOut(ok=False, detail=WORKER_UNCHECKED)
    try:
        replies = current_app.control.ping(timeout=WORKER_PING_SECONDS)
    except (OperationalError, RedisError):
        return CheckOut(ok=False, detail=WORKER_UNCHECKED)
    if not replies:
        return CheckOut(ok=False, detail=NO_WORKER.format(seconds=WORKER_PING_SECONDS))
    return CheckOut(ok=True, detail=", ".join(sorted(name for reply in replies for name in reply)))


class LiveOut(Schema):
    status: Literal["ok"]


class ReadyChecks(HealthChecks):
    worker: CheckOut


class ReadyOut(Schema):
    status: Literal["ok", "unavailable"]
    detail: str
    checks: ReadyChecks


@router.get("/live", auth=None, response=LiveOut, summary="The process answers")
def live(request: HttpRequest) -> LiveOut:
    return LiveOut(status="ok")


@router.get("/ready", auth=None, response={200: ReadyOut, 503: ReadyOut}, summary="Ready: health and a worker")
def ready(request: HttpRequest) -> Status[ReadyOut]:
    redis = _redis()
    checks = ReadyChecks(database=_database(), redis=redis, model=_model(), worker=_worker(broker_ok=redis.ok))
    failing = [f"{name}: {check.detail}" for name, check in checks if not check.ok]
    if failing:
        return Status(503, ReadyOut(status="unavailable", detail="; ".join(failing), checks=checks))
    return Status(200, ReadyOut(status="ok", detail="ok", checks=checks))


@router.get("", auth=None, response={200: HealthOut, 503: HealthOut}, summary="Database, Redis and active model")
def health(request: HttpRequest) -> Status[HealthOut]:
    checks = HealthChecks(database=_database(), redis=_redis(), model=_model())
    failing = [f"{name}: {check.detail}" for name, check in checks if not check.ok]
    if failing:
        return Status(503, HealthOut(status="unavailable", detail="; ".join(failing), checks=checks))
    return Status(200, HealthOut(status="ok", detail="ok", checks=checks))
