"""Staff only: online comparisons of the active version with a candidate (recommender.services.comparisons).

GET /api/comparisons and /api/comparisons/{id} say what each found so far; POST /api/comparisons starts one, and
POST /api/comparisons/{id}/promote and /stop end it, with the permission to change model versions.
"""

from typing import Any

from ninja import Router, Status
from ninja.errors import HttpError

from api.auth import STAFF_AUTH
from api.requests import AuthenticatedRequest
from api.routers.models import STAFF_ERRORS, refuse_unless_done, require_manage, version_or_404
from api.schemas import ComparisonIn, ComparisonOut, ErrorOut, Id, ModelVersionOut
from api.throttling import WRITE_THROTTLE
from insights.selectors import comparisons_recent
from recommender.comparison_results import Signal
from recommender.models import Comparison, ModelVersion
from recommender.services.comparisons import (
    ComparisonError,
    comparison_judge,
    comparison_promote,
    comparison_start,
    comparison_stop,
)

COMPARISON_NOT_FOUND = "there is no comparison {id}"

router = Router(tags=["comparisons"], auth=STAFF_AUTH)


def _signal(signal: Signal) -> dict[str, Any]:
    summary = signal.summary
    return {
        "prefer_candidate": summary.prefer_b,
        "prefer_active": summary.prefer_a,
        "neither": summary.ties,
        "candidate_share": signal.share_b,
        "interval": signal.interval_b,
        "verdict": str(signal.verdict),
    }


def _out(comparison: Comparison) -> dict[str, Any]:
    result = comparison_judge(comparison=comparison)
    return {
        "id": comparison.pk,
        "version_a": comparison.version_a_id,
        "version_b": comparison.version_b_id,
        "share": comparison.share,
        "status": comparison.status,
        "started_at": comparison.started_at,
        "ended_at": comparison.ended_at,
        "ended_note": comparison.ended_note,
        "people": result.users,
        "openings": _signal(result.clicks),
        "likes": _signal(result.likes),
    }


def _comparison_or_404(comparison_id: int) -> Comparison:
    try:
        return Comparison.objects.get(pk=comparison_id)
    except Comparison.DoesNotExist:
        raise HttpError(404, COMPARISON_NOT_FOUND.format(id=comparison_id)) from None


@router.get("", response={200: list[ComparisonOut], **STAFF_ERRORS}, summary="The latest comparisons, newest first")
def comparisons(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    return [_out(comparison) for comparison in comparisons_recent()]


@router.get(
    "/{int:comparison_id}",
    response={200: ComparisonOut, 404: ErrorOut, 422: ErrorOut, **STAFF_ERRORS},
    summary="A comparison so far: people, and which version they prefer on openings and on likes",
)
def comparison(request: AuthenticatedRequest, comparison_id: Id) -> dict[str, Any]:
    return _out(_comparison_or_404(comparison_id))


@router.post(
    "",
    throttle=WRITE_THROTTLE,
    response={
        201: ComparisonOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
        **STAFF_ERRORS,
    },
    summary="Compare a ready version with the active one on a share of signed-in people",
)
def start(request: AuthenticatedRequest, body: ComparisonIn) -> Status:
    require_manage(request)
    candidate: ModelVersion = version_or_404(body.candidate)
    try:
        started = comparison_start(candidate=candidate, share=body.share, started_by=request.auth)
    except ComparisonError as error:
        raise HttpError(409, str(error)) from None
    return Status(201, _out(started))


@router.post(
    "/{int:comparison_id}/promote",
    throttle=WRITE_THROTTLE,
    response={200: ModelVersionOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut, **STAFF_ERRORS},
    summary="Activate the candidate of a running comparison that it has won, ending the comparison",
)
def promote(request: AuthenticatedRequest, comparison_id: Id) -> ModelVersion:
    require_manage(request)
    outcome = comparison_promote(comparison=_comparison_or_404(comparison_id))
    refuse_unless_done(outcome)
    assert outcome.version is not None, "a promotion names its version"
    return outcome.version


@router.post(
    "/{int:comparison_id}/stop",
    throttle=WRITE_THROTTLE,
    response={200: ComparisonOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut, **STAFF_ERRORS},
    summary="End a running comparison without promoting: everyone sees the active version's list again",
)
def stop(request: AuthenticatedRequest, comparison_id: Id) -> dict[str, Any]:
    require_manage(request)
    try:
        stopped = comparison_stop(comparison=_comparison_or_404(comparison_id), stopped_by=request.auth)
    except ComparisonError as error:
        raise HttpError(409, str(error)) from None
    return _out(stopped)
