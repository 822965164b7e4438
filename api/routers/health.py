"""GET /api/health: does the database answer, does Redis, and is a model being served."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import Router, Status
from redis import RedisError

from api.schemas import CheckOut, HealthChecks, HealthOut
from api.throttling import redis_client
from recommender.services.serving import served_model

DATABASE_DOWN = "database does not answer"
REDIS_DOWN = "Redis does not answer"
NO_ACTIVE_MODEL = "no active model that can be served: recommendations fall back to popularity"

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


@router.get("", auth=None, response={200: HealthOut, 503: HealthOut}, summary="Database, Redis and active model")
def health(request: HttpRequest) -> Status:
    checks = HealthChecks(database=_database(), redis=_redis(), model=_model())
    failing = [f"{name}: {check.detail}" for name, check in checks if not check.ok]
    if failing:
        return Status(503, HealthOut(status="unavailable", detail="; ".join(failing), checks=checks))
    return Status(200, HealthOut(status="ok", detail="ok", checks=checks))
