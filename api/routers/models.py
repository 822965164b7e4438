"""Staff only: GET /api/models, POST /api/models/retrain and POST /api/models/{id}/activate, through the registry."""

from django.http import HttpRequest
from kombu.exceptions import OperationalError
from ninja import Router, Status
from ninja.errors import HttpError
from redis.exceptions import RedisError

from api.auth import STAFF_AUTH
from api.schemas import ErrorOut, Id, ModelVersionOut, RetrainOut
from api.throttling import WRITE_THROTTLE
from insights.selectors import version_history
from recommender.models import ModelVersion
from recommender.services.artifacts import ArtifactError
from recommender.services.registry import RegistryError, retrain_enqueue, version_activate

# The permission the registry's admin and the Model pages ask for before activating or retraining.
MANAGE_PERMISSION = "recommender.change_modelversion"
MANAGE_REQUIRED = "changing model versions needs the permission recommender.change_modelversion"
VERSION_NOT_FOUND = "there is no model version {id}"
RETRAIN_RUNNING = "a retrain is already running or queued; no other was started"
RETRAIN_UNAVAILABLE = "the retrain could not be queued: the task broker (Redis) does not answer"

router = Router(tags=["models"], auth=STAFF_AUTH)

STAFF_ERRORS = {401: ErrorOut, 403: ErrorOut}


def _require_manage(request: HttpRequest) -> None:
    if not request.auth.has_perm(MANAGE_PERMISSION):
        raise HttpError(403, MANAGE_REQUIRED)


@router.get("", response={200: list[ModelVersionOut], **STAFF_ERRORS}, summary="Every model version, newest first")
def models(request: HttpRequest) -> list[ModelVersion]:
    return version_history()


@router.post(
    "/retrain",
    throttle=WRITE_THROTTLE,
    response={202: RetrainOut, 409: ErrorOut, 429: ErrorOut, 503: ErrorOut, **STAFF_ERRORS},
    summary="Queue a retrain (a new version even when the ratings have not changed)",
)
def retrain(request: HttpRequest) -> Status:
    _require_manage(request)
    try:
        task_id = retrain_enqueue(force=True)
    except (RedisError, OperationalError):  # Redis holds the retrain lock and is the Celery broker
        raise HttpError(503, RETRAIN_UNAVAILABLE) from None
    if task_id is None:
        raise HttpError(409, RETRAIN_RUNNING)
    return Status(202, RetrainOut(task_id=task_id))


@router.post(
    "/{int:version_id}/activate",
    throttle=WRITE_THROTTLE,
    response={200: ModelVersionOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut, **STAFF_ERRORS},
    summary="Make a ready version the active one (a rollback when it was active before)",
)
def activate(request: HttpRequest, version_id: Id) -> ModelVersion:
    _require_manage(request)
    try:
        version = ModelVersion.objects.get(pk=version_id)
    except ModelVersion.DoesNotExist:
        raise HttpError(404, VERSION_NOT_FOUND.format(id=version_id)) from None
    try:
        return version_activate(version=version)
    except (RegistryError, ArtifactError) as error:
        raise HttpError(409, str(error)) from None
