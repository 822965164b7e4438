"""A user's ratings as one 64-bit number, so that serving can tell whether training saw exactly the ratings a user
has now without carrying the training ratings.

The fingerprint of a set of (movie row, score) pairs: each pair packed into 64 bits (the movie row above the
float32 score's bits) and scrambled by SplitMix64's finaliser; the scrambled pairs summed modulo 2**64, so that the
order of the ratings does not matter (the sum of a sorted list is the sum of any other order); the sum and the
number of pairs scrambled once more. A changed score, an added or a removed rating changes the fingerprint but for
a chance of about 2**-64. Deterministic across processes and machines (integer arithmetic only); the training
side and the serving side both call ``user_fingerprints``.
"""

import numpy as np

# SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULTIPLIERS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))


def _scrambled(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, element-wise: every input bit reaches every output bit (uint64 wraps, as meant)."""
    x = values + _GOLDEN
    x = (x ^ (x >> _SHIFTS[0])) * _MULTIPLIERS[0]
    x = (x ^ (x >> _SHIFTS[1])) * _MULTIPLIERS[1]
    return x ^ (x >> _SHIFTS[2])


def user_fingerprints(*, user_rows: np.ndarray, movie_rows: np.ndarray, scores: np.ndarray, n_users: int) -> np.ndarray:
    """uint64 [n_users]: the fingerprint of each user row's (movie row, score) pairs (a user without any has the
    fingerprint of the empty set). Scores count as float32, as the artifact stores them."""
    movies = np.asarray(movie_rows, dtype=np.int64).astype(np.uint64)
    score_bits = np.asarray(scores, dtype=np.float32).view(np.uint32).astype(np.uint64)
    users = np.asarray(user_rows, dtype=np.int64)
    sums = np.zeros(n_users, dtype=np.uint64)
    np.add.at(sums, users, _scrambled((movies << np.uint64(32)) | score_bits))
    counts = np.bincount(users, minlength=n_users).astype(np.uint64)
    return _scrambled(sums + _scrambled(counts))


def user_fingerprint(*, movie_rows: np.ndarray, scores: np.ndarray) -> int:
    """The fingerprint of one user's (movie row, score) pairs, as ``user_fingerprints`` gives it for a user row."""
    users = np.zeros(len(movie_rows), dtype=np.int64)
    return int(user_fingerprints(user_rows=users, movie_rows=movie_rows, scores=scores, n_users=1)[0])
