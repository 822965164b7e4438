"""The running comparison as the web process serves it: which people are in it, and the candidate's model.

Like the active version (``serving``), it is looked up at most once per ``RECOMMENDER_ACTIVE_CHECK_SECONDS`` by one
indexed query, and the candidate's artifact is read once per process (from this host's cache, downloaded from the
model store first) and held until the comparison ends. A comparison is served only while its version A is the
active version: once another version is activated it has nothing left to compare (the registry ends it). A
candidate whose artifact cannot be served is logged and remembered; its comparison's people see the active list
(and, while the model store does not answer, until the next check).
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from recommender.models import Comparison, ModelVersion
from recommender.services.artifacts import ArtifactStoreError
from recommender.services.serving import UNSERVABLE, ServedModel, check_seconds, version_served
from recsys.interleaving import interleaving_assigned

logger = logging.getLogger(__name__)

CANDIDATE_LOAD_FAILED = (
    "comparison {comparison}: candidate v{version} cannot be served, its people see the active list: {error}"
)


@dataclass(frozen=True)
class ServedComparison:
    """A running comparison with its candidate's model loaded."""

    comparison_id: int
    version_a_id: int
    share: float
    served_b: ServedModel

    def includes(self, *, user_id: int) -> bool:
        return interleaving_assigned(comparison_id=self.comparison_id, user_id=user_id, share=self.share)


# The running comparison as serving tells them apart: (id, version A, version B, share, started at).
ComparisonKey = tuple[int, int | None, int | None, float, datetime]


@dataclass(frozen=True)
class _State:
    key: ComparisonKey | None
    served: ServedComparison | None
    checked_at: float


_state = _State(key=None, served=None, checked_at=float("-inf"))
_broken: set[ComparisonKey] = set()
# A candidate whose store did not answer, and when: asked again after RECOMMENDER_ACTIVE_CHECK_SECONDS, not by
# every request in between (each would wait for the store).
_unreachable: dict[ComparisonKey, float] = {}
_load_lock = threading.Lock()


def _load(key: ComparisonKey) -> ServedComparison | None:
    comparison_id, version_a_id, version_b_id, share, _ = key
    assert version_a_id is not None and version_b_id is not None  # served_comparison checked both
    try:
        served = version_served(version_id=version_b_id)
    except ArtifactStoreError:
        raise  # the store, not the artifact: asked again at the next check
    except UNSERVABLE as error:
        logger.error(CANDIDATE_LOAD_FAILED.format(comparison=comparison_id, version=version_b_id, error=error))
        _broken.add(key)
        return None
    return ServedComparison(comparison_id=comparison_id, version_a_id=version_a_id, share=share, served_b=served)


def served_comparison(*, active: ModelVersion) -> ServedComparison | None:
    """The running comparison of ``active`` (the version being served) against its candidate, with the candidate's
    model; None when none runs, it compares another version, or its candidate cannot be served. Never raises."""
    global _state
    state, now = _state, time.monotonic()
    if now - state.checked_at >= check_seconds():
        found: ComparisonKey | None
        try:
            found = (
                Comparison.objects.running()
                .values_list("pk", "version_a_id", "version_b_id", "share", "started_at")
                .first()
            )
        except Exception:
            logger.exception("could not look up the running comparison")
            found = state.key
        state = _State(key=found, served=state.served if state.key == found else None, checked_at=now)
        _state = state
    key = state.key
    if key is None or key[1] != active.pk or key[2] is None or key in _broken:
        return None
    if state.served is not None:
        return state.served
    if now - _unreachable.get(key, float("-inf")) < check_seconds():
        return None
    # One thread reads the candidate; the others wait for it (a fraction of a second, once per comparison), so
    # that a person in the comparison never sees the active list alone while it loads.
    with _load_lock:
        current = _state
        if current.key == key and current.served is not None:
            return current.served
        try:
            served = _load(key)
        except Exception:
            logger.exception(CANDIDATE_LOAD_FAILED.format(comparison=key[0], version=key[2], error="unexpected error"))
            _unreachable[key] = time.monotonic()
            return None
        if _state.key == key:
            _state = _State(key=key, served=served, checked_at=_state.checked_at)
        return served


def comparison_serving_reset() -> None:
    """Forget the running comparison and its candidate (tests, and the services that start or end one)."""
    global _state
    with _load_lock:
        _state = _State(key=None, served=None, checked_at=float("-inf"))
        _broken.clear()
        _unreachable.clear()
