"""The active model version, held in memory once per process and swapped whole when another one is activated.

Every request asks ``served_model()``. At most once per ``RECOMMENDER_ACTIVE_CHECK_SECONDS`` (default 2 s) that
runs one indexed query for the active version's id; only when the answer changes does it read the artifact
(from this host's cache, downloaded from the model store first when it is not there; SHA-256 checked) and replace
the state in a single reference assignment, so a request sees either the old model or the new one, never a mix. A
version whose artifact is missing or tampered is remembered as broken and not re-read until it is activated again
(which renews its activation time); the caller then serves the popularity list. A store that does not answer is
asked again at the next check.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.conf import settings

from recommender.models import ModelVersion
from recommender.selectors import movie_stats_reset
from recommender.services.artifact_cache import artifact_load
from recommender.services.artifacts import ArtifactError, ArtifactStoreError
from recommender.services.placements import Placements
from recsys.fingerprints import user_fingerprint
from recsys.rating_model import FactorModel

logger = logging.getLogger(__name__)

MODEL_LOAD_FAILED = "model version {version} cannot be served, falling back to the popularity list: {error}"


@dataclass(frozen=True, eq=False)
class ServedModel:
    """A loaded model version with what requests derive from it, computed once at load."""

    version: ModelVersion
    model: FactorModel
    placements: Placements = field(init=False, repr=False)  # people placed lately (recommender.services.placements)

    def __post_init__(self) -> None:
        object.__setattr__(self, "placements", Placements(size=settings.RECOMMENDER_PLACEMENTS_KEPT))

    def learned_from(self, *, user_row: int, movie_rows: np.ndarray, scores: np.ndarray) -> bool:
        """Whether training saw exactly these ratings of the user (their fingerprints agree); True when the
        artifact cannot tell."""
        fingerprints = self.model.user_fingerprints
        if fingerprints is None:
            return True
        return user_fingerprint(movie_rows=movie_rows, scores=scores) == int(fingerprints[user_row])


# The active version as serving tells activations apart: its id and when it was activated, so that activating
# the same version again (after repairing its files) is a change too.
ActiveKey = tuple[int, datetime | None]


@dataclass(frozen=True)
class _State:
    served: ServedModel | None
    active: ActiveKey | None
    checked_at: float


_state = _State(served=None, active=None, checked_at=float("-inf"))
_broken: set[ActiveKey] = set()
_load_lock = threading.Lock()


# What a version that cannot be served raises from version_served (ArtifactStoreError apart: the store's fault).
UNSERVABLE = (ArtifactError, ModelVersion.DoesNotExist, OSError, ValueError)


def check_seconds() -> float:
    """How long a process keeps what it looked up of the active version (and of a running comparison)."""
    return float(settings.RECOMMENDER_ACTIVE_CHECK_SECONDS)


def version_served(*, version_id: int) -> ServedModel:
    """The version's model read for serving (from this host's cache, downloaded from the store first). Raises one
    of UNSERVABLE when it cannot be served, ArtifactStoreError when the store does not answer."""
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise ModelVersion.DoesNotExist(f"model version {version_id} no longer exists")
    return ServedModel(version=version, model=artifact_load(version=version))


def _load(active: ActiveKey) -> ServedModel | None:
    """The version's model, or None (logged, and remembered as broken) when its artifact cannot be served."""
    version_id = active[0]
    try:
        return version_served(version_id=version_id)
    except ArtifactStoreError:
        raise  # the store, not the artifact: the caller keeps what it holds and asks again at the next check
    except UNSERVABLE as error:
        # A refused artifact explains itself; anything else gets its traceback.
        logger.error(
            MODEL_LOAD_FAILED.format(version=version_id, error=error), exc_info=not isinstance(error, ArtifactError)
        )
        _broken.add(active)
        return None


def served_model() -> ServedModel | None:
    """The model of the active version, or None when there is none that can be served. Never raises."""
    global _state
    state = _state
    now = time.monotonic()
    if now - state.checked_at < check_seconds():
        return state.served
    try:
        active = ModelVersion.objects.active().order_by().values_list("pk", "activated_at").first()
    except Exception:
        # A database hiccup must not break the page: keep serving what we hold and ask again next time.
        logger.exception("could not look up the active model version")
        return state.served
    if active == state.active:
        _state = _State(served=state.served, active=active, checked_at=now)
        return state.served
    if active is None or active in _broken:
        _state = _State(served=None, active=active, checked_at=now)
        return None
    # One thread reads the new artifact; the others keep answering from the model they hold meanwhile.
    if not _load_lock.acquire(blocking=state.served is None):
        return state.served
    try:
        current = _state
        if current.active == active and current.served is not None:
            return current.served
        try:
            served = _load(active)
        except Exception:
            # Not the artifact's fault (the database, say): keep what we hold and try again at the next check.
            logger.exception(MODEL_LOAD_FAILED.format(version=active[0], error="unexpected error"))
            _state = _State(served=current.served, active=current.active, checked_at=time.monotonic())
            return current.served
        _state = _State(served=served, active=active, checked_at=time.monotonic())
        return served
    finally:
        _load_lock.release()


def serving_reset() -> None:
    """Forget the held model, the broken versions and the cached rating statistics (tests, repaired artifacts)."""
    global _state
    with _load_lock:
        _state = _State(served=None, active=None, checked_at=float("-inf"))
        _broken.clear()
    movie_stats_reset()
