"""A vocabulary of unique ids and the row of each: the models' users and movies, the importer's MovieLens ids."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IdRows:
    """The rows of a vocabulary of unique ids, found by binary search: a dict of ml-25m's 162,541 users held about
    20 MB of Python ints in every web process; these arrays hold none when the ids are sorted (as trained)."""

    sorted_ids: np.ndarray  # int64
    order: np.ndarray | None  # the row of each sorted id; None when the vocabulary is sorted already

    @classmethod
    def of(cls, vocabulary: np.ndarray) -> "IdRows":
        ids = np.asarray(vocabulary, dtype=np.int64)
        if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])):
            return cls(sorted_ids=ids, order=None)
        order = np.argsort(ids, kind="stable")
        return cls(sorted_ids=ids[order], order=order)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.sorted_ids):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.sorted_ids, ids), len(self.sorted_ids) - 1)
        rows = at if self.order is None else self.order[at]
        return np.where(self.sorted_ids[at] == ids, rows, -1).astype(np.int64)

    def row(self, id_: int) -> int:
        return int(self.rows(np.array([int(id_)]))[0])
