"""Each served model's latest placements of people, so that a person's next page does not place them again.

A person the models did not learn from exactly these ratings (a newcomer, anyone who rated since the retrain, and
every MovieLens rater, a fifth of whose ratings training held out to measure the version) is placed by fold-in
over the whole catalogue: about 60 to 100 ms at ml-25m's shape (BENCHMARKS.md). People load pages far more often
than they rate (the list's pages, the API, every movie page's prediction), so a served model keeps its last
``RECOMMENDER_PLACEMENTS_KEPT`` placements, keyed by the person and the ratings this request read: a new or changed
rating is a new key, placed afresh at once. The cache belongs to the served model, so a new version starts empty.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from recsys.cold_start import ColdStart
from recsys.lists import Taste


@dataclass(frozen=True)
class PlacementKey:
    user_id: int
    method: ColdStart
    with_ranking: bool
    ratings: bytes  # a digest of the ratings the placement is computed from: movie rows, scores, times


def placement_key(
    *,
    user_id: int,
    method: ColdStart,
    with_ranking: bool,
    movie_rows: np.ndarray,
    scores: np.ndarray,
    times: np.ndarray,
) -> PlacementKey:
    digest = hashlib.blake2b(digest_size=16)
    for values, dtype in ((movie_rows, np.int64), (scores, np.float64), (times, np.float64)):
        digest.update(np.ascontiguousarray(values, dtype=dtype).tobytes())
        digest.update(b"|")
    return PlacementKey(user_id=user_id, method=method, with_ranking=with_ranking, ratings=digest.digest())


class Placements:
    """A thread-safe LRU of placements (a Taste, or None for a person with nothing to go on)."""

    def __init__(self, *, size: int) -> None:
        self.size = size
        self.hits = self.misses = 0
        self._kept: OrderedDict[PlacementKey, Taste | None] = OrderedDict()
        self._lock = threading.Lock()

    def placed(self, key: PlacementKey, place: Callable[[], Taste | None]) -> Taste | None:
        """The placement of ``key``, computed by ``place`` (outside the lock) when it is not kept."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                return self._kept[key]
            self.misses += 1
        taste = place()
        if self.size > 0:
            with self._lock:
                self._kept[key] = taste
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return taste
