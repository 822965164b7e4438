"""Staff only: GET /api/models, POST /api/models/retrain and POST /api/models/{id}/activate, through the registry;
GET /api/models/{id}/online, how people responded to a version's lists (feedback.metrics)."""

from dataclasses import asdict
from typing import Any

from ninja import Query, Router, Status
from ninja.errors import HttpError

from api.auth import STAFF_AUTH
from api.requests import AuthenticatedRequest
from api.schemas import ErrorOut, Id, ModelVersionOut, OnlineMetricsOut, RetrainOut
from api.throttling import WRITE_THROTTLE
from feedback.metrics import OnlineCounts, OnlineMetrics, online_metrics
from insights.selectors import version_history
from recommender.models import MANAGE_PERMISSION, ModelVersion
from recommender.services.outcomes import Outcome, OutcomeStatus
from recommender.services.registry import activation_request
from recommender.services.retrain import retrain_request

MANAGE_REQUIRED = f"changing model versions needs the permission {MANAGE_PERMISSION}"
VERSION_NOT_FOUND = "there is no model version {id}"
# The HTTP status of each outcome that did not do what was asked.
REFUSALS = {OutcomeStatus.BUSY: 409, OutcomeStatus.UNAVAILABLE: 503, OutcomeStatus.REFUSED: 409}

router = Router(tags=["models"], auth=STAFF_AUTH)

STAFF_ERRORS = {401: ErrorOut, 403: ErrorOut}


def require_manage(request: AuthenticatedRequest) -> None:
    if not request.auth.has_perm(MANAGE_PERMISSION):
        raise HttpError(403, MANAGE_REQUIRED)


def refuse_unless_done(outcome: Outcome) -> None:
    if outcome.status in REFUSALS:
        raise HttpError(REFUSALS[outcome.status], outcome.message)


@router.get("", response={200: list[ModelVersionOut], **STAFF_ERRORS}, summary="Every model version, newest first")
def models(request: AuthenticatedRequest) -> list[ModelVersion]:
    return version_history()


def version_or_404(version_id: int) -> ModelVersion:
    try:
        return ModelVersion.objects.get(pk=version_id)
    except ModelVersion.DoesNotExist:
        raise HttpError(404, VERSION_NOT_FOUND.format(id=version_id)) from None


def _counts(metrics: OnlineMetrics, counts: OnlineCounts) -> dict[str, Any]:
    rates = {name: getattr(counts, name) for name in SHARES}
    return {**asdict(counts), **rates, "coverage": metrics.coverage(counts)}


SHARES = ("click_through", "rated_share", "liked_share", "watchlist_share", "hidden_share")


@router.get(
    "/{int:version_id}/online",
    response={200: OnlineMetricsOut, 404: ErrorOut, 422: ErrorOut, **STAFF_ERRORS},
    summary="How people responded to a version's recommendations, by UTC day: click-through, ratings, likes, "
    "watchlist adds, not interested (each at 10) and coverage",
)
def online(
    request: AuthenticatedRequest,
    version_id: Id,
    days: int | None = Query(None, ge=1, le=36_600, description="The last this many days; without, every day kept"),
) -> dict[str, Any]:
    version = version_or_404(version_id)
    metrics = online_metrics(version_id=version.pk, catalogue=version.n_movies, days=days)
    return {
        "version_id": version.pk,
        "catalogue": metrics.catalogue,
        "days": [{"day": day, **_counts(metrics, counts)} for day, counts in metrics.days],
        "total": _counts(metrics, metrics.total),
    }


@router.post(
    "/retrain",
    throttle=WRITE_THROTTLE,
    response={202: RetrainOut, 409: ErrorOut, 429: ErrorOut, 503: ErrorOut, **STAFF_ERRORS},
    summary="Queue a retrain (a new version even when the ratings have not changed)",
)
def retrain(request: AuthenticatedRequest) -> Status:
    require_manage(request)
    outcome = retrain_request()
    refuse_unless_done(outcome)
    assert outcome.task_id is not None, "a queued retrain has its task"
    return Status(202, RetrainOut(task_id=outcome.task_id))


@router.post(
    "/{int:version_id}/activate",
    throttle=WRITE_THROTTLE,
    response={200: ModelVersionOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut, **STAFF_ERRORS},
    summary="Make a ready version the active one (a rollback when it was active before)",
)
def activate(request: AuthenticatedRequest, version_id: Id) -> ModelVersion:
    require_manage(request)
    outcome = activation_request(version=version_or_404(version_id))
    refuse_unless_done(outcome)
    assert outcome.version is not None, "an activation names its version"
    return outcome.version
