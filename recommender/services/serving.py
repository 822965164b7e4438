"""The active model version, held in memory once per process and swapped whole when another one is activated.

Every request asks ``served_model()``. At most once per ``RECOMMENDER_ACTIVE_CHECK_SECONDS`` (default 2 s) that
runs one indexed query for the active version's id; only when the answer changes does it read the artifact
(SHA-256 checked first) and replace the state in a single reference assignment, so a request sees either the
old model or the new one, never a mix. A version whose artifact is missing or tampered is remembered as broken
and not re-read until the process restarts; the caller then serves the popularity list.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from recommender.models import ModelVersion
from recommender.selectors import movie_stats_reset
from recommender.services.artifacts import ArtifactError, artifact_verify
from recommender.services.factors import FactorModel
from recommender.services.ranking_scores import unit_rows

logger = logging.getLogger(__name__)

MODEL_MALFORMED = "serving artifact is malformed: {detail}"
MODEL_LOAD_FAILED = "model version {version} cannot be served, falling back to the popularity list: {error}"


def _shapes_check(model: FactorModel) -> None:
    """An artifact can be authentic and still malformed; refuse it at load rather than fail a request later."""
    n_users, n_movies = len(model.user_ids), len(model.movie_ids)
    # A dot model's user and movie vectors share one space; an nn model's head reads them at their own sizes.
    user_k = model.user_factors.shape[1] if model.has_mlp else model.n_factors
    expected = {
        "user_factors": (n_users, user_k),
        "user_bias": (n_users,),
        "movie_factors": (n_movies, model.n_factors),
        "movie_bias": (n_movies,),
    }
    arrays = {name: getattr(model, name) for name in expected}
    ranking = model.ranking
    if ranking is not None:
        # The ranking model's rows line up with the rating model's vocabularies; its own width is its own.
        rank_k = ranking.movie_factors.shape[1] if ranking.movie_factors.ndim == 2 else -1
        ranking_expected = {
            "rank_user_factors": (n_users, rank_k),
            "rank_user_mean": (rank_k,),
            "rank_movie_factors": (n_movies, rank_k),
            "rank_movie_bias": (n_movies,),
        }
        expected.update(ranking_expected)
        arrays.update({name: getattr(ranking, name.removeprefix("rank_")) for name in ranking_expected})
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ValueError(MODEL_MALFORMED.format(detail=f"{name} has shape {array.shape}, expected {shape}"))
        if not np.isfinite(array).all():
            raise ValueError(MODEL_MALFORMED.format(detail=f"{name} has values that are not finite"))


@dataclass(frozen=True, eq=False)
class ServedModel:
    """A loaded model version with what requests derive from it, computed once at load."""

    version: ModelVersion
    model: FactorModel
    movie_units: np.ndarray = field(init=False, repr=False)  # unit-length movie factors, for cosine
    # The training ratings grouped by user: user row r's are _rating_order[_rating_starts[r]:_rating_starts[r + 1]].
    _rating_order: np.ndarray | None = field(init=False, repr=False)
    _rating_starts: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _shapes_check(self.model)
        object.__setattr__(self, "movie_units", unit_rows(self.model.movie_factors.astype(np.float64)))
        order = starts = None
        if self.model.has_training_ratings:
            user_rows = self.model.rating_user_rows
            order = np.argsort(user_rows, kind="stable")
            starts = np.searchsorted(user_rows[order], np.arange(len(self.model.user_ids) + 1))
        object.__setattr__(self, "_rating_order", order)
        object.__setattr__(self, "_rating_starts", starts)

    def learned_from(self, *, user_row: int, movie_rows: np.ndarray, scores: np.ndarray) -> bool:
        """Whether training saw exactly these ratings of the user; True when the artifact cannot tell."""
        if self._rating_order is None:
            return True
        mine = self._rating_order[self._rating_starts[user_row] : self._rating_starts[user_row + 1]]
        if len(mine) != len(movie_rows):
            return False
        model = self.model
        trained = sorted(zip(model.rating_movie_rows[mine].tolist(), model.rating_scores[mine].tolist(), strict=True))
        current = np.asarray(scores, dtype=np.float32).tolist()
        current = sorted(zip(np.asarray(movie_rows).tolist(), current, strict=True))
        return trained == current


@dataclass(frozen=True)
class _State:
    served: ServedModel | None
    active_id: int | None
    checked_at: float


_state = _State(served=None, active_id=None, checked_at=float("-inf"))
_broken: set[int] = set()
_load_lock = threading.Lock()


def _check_seconds() -> float:
    return float(settings.RECOMMENDER_ACTIVE_CHECK_SECONDS)


def _load(version_id: int) -> ServedModel | None:
    """The version's model, or None (logged, and remembered as broken) when its artifact cannot be served."""
    version = ModelVersion.objects.filter(pk=version_id).first()
    try:
        if version is None:
            raise ModelVersion.DoesNotExist(f"model version {version_id} no longer exists")
        return ServedModel(version=version, model=FactorModel.load(artifact_verify(version=version)))
    except (ArtifactError, ModelVersion.DoesNotExist, OSError, ValueError, KeyError, TypeError) as error:
        # A refused artifact explains itself; anything else gets its traceback.
        logger.error(
            MODEL_LOAD_FAILED.format(version=version_id, error=error), exc_info=not isinstance(error, ArtifactError)
        )
        _broken.add(version_id)
        return None


def served_model() -> ServedModel | None:
    """The model of the active version, or None when there is none that can be served. Never raises."""
    global _state
    state = _state
    now = time.monotonic()
    if now - state.checked_at < _check_seconds():
        return state.served
    try:
        active_id = ModelVersion.objects.active().order_by().values_list("pk", flat=True).first()
    except Exception:
        # A database hiccup must not break the page: keep serving what we hold and ask again next time.
        logger.exception("could not look up the active model version")
        return state.served
    if active_id == state.active_id:
        _state = _State(served=state.served, active_id=active_id, checked_at=now)
        return state.served
    if active_id is None or active_id in _broken:
        _state = _State(served=None, active_id=active_id, checked_at=now)
        return None
    # One thread reads the new artifact; the others keep answering from the model they hold meanwhile.
    if not _load_lock.acquire(blocking=state.served is None):
        return state.served
    try:
        current = _state
        if current.active_id == active_id and current.served is not None:
            return current.served
        try:
            served = _load(active_id)
        except Exception:
            # Not the artifact's fault (the database, say): keep what we hold and try again at the next check.
            logger.exception(MODEL_LOAD_FAILED.format(version=active_id, error="unexpected error"))
            _state = _State(served=current.served, active_id=current.active_id, checked_at=time.monotonic())
            return current.served
        _state = _State(served=served, active_id=active_id, checked_at=time.monotonic())
        return served
    finally:
        _load_lock.release()


def serving_reset() -> None:
    """Forget the held model, the broken versions and the cached rating statistics (tests, repaired artifacts)."""
    global _state
    with _load_lock:
        _state = _State(served=None, active_id=None, checked_at=float("-inf"))
        _broken.clear()
    movie_stats_reset()
