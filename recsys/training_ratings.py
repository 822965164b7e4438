"""The training ratings grouped by movie (the three arrays of a compressed sparse column matrix), the form in which
the classic cold start reads them: a newcomer's few movies pick out their raters without a pass over every rating.

An artifact carries them only where the classic cold start needs them (``recsys.cold_start.artifact_form``);
models trained in process (benchmarks) keep them in memory.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class TrainingRatings:
    # Movie row m's ratings are the positions movie_starts[m] to movie_starts[m + 1] of the other two arrays.
    movie_starts: np.ndarray  # int64 [n_movies + 1]
    user_rows: np.ndarray  # int32 [n_ratings]
    scores: np.ndarray  # float32 [n_ratings]

    @classmethod
    def from_triples(
        cls, *, user_rows: np.ndarray, movie_rows: np.ndarray, scores: np.ndarray, n_movies: int
    ) -> "TrainingRatings":
        """The ratings given as (user row, movie row, score) triples, in any order."""
        movie_rows = np.asarray(movie_rows, dtype=np.int64)
        order = np.argsort(movie_rows, kind="stable")
        return cls(
            movie_starts=np.searchsorted(movie_rows[order], np.arange(n_movies + 1)).astype(np.int64),
            user_rows=np.asarray(user_rows, dtype=np.int32)[order],
            scores=np.asarray(scores, dtype=np.float32)[order],
        )

    def __len__(self) -> int:
        return len(self.user_rows)

    def movie_rows(self) -> np.ndarray:
        """int64 [n_ratings]: the movie row of each rating."""
        return np.repeat(np.arange(len(self.movie_starts) - 1), np.diff(self.movie_starts))

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(user rows, movie rows, scores), ordered by movie row."""
        return self.user_rows, self.movie_rows(), self.scores

    def of_movies(self, movie_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every rating of the given movie rows as (index into ``movie_rows``, user row, score)."""
        rows = np.asarray(movie_rows, dtype=np.int64)
        begins = self.movie_starts[rows]
        lengths = self.movie_starts[rows + 1] - begins
        which = np.repeat(np.arange(len(rows)), lengths)
        # Position within its movie's run, plus where that run begins.
        positions = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths) + begins[which]
        return which, self.user_rows[positions], self.scores[positions]
