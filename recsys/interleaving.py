"""Team-draft interleaving of two versions' lists into the one list a person sees, and the credit of what they do.

Team-draft (Radlinski, Kurup and Joachims, "How does clickthrough data reflect retrieval quality?", CIKM 2008,
Algorithm 2): the two versions are captains picking players. Whichever team has fewer picks picks next; when both
have as many, a coin says which picks first. A team picks the highest movie of its own list that is not in the
list yet, so a movie both lists hold goes to the team that reaches it first, and the other team passes over it.
Each movie of the list thus belongs to one team (``Team``), and a click or a like credits that team alone.

Only the first ``k`` movies of each list can ever be picked (a team passes over at most the movies already in the
list), so with two lists of at least ``k`` distinct movies the list has exactly ``k``.

The coins come from a seed. ``interleaving_seed`` derives one from the comparison, the user and the two lists, so
a reload that asks for the same two lists shows the same list, and new lists (after a rating) draw new coins.
The coins are bits of a BLAKE2b digest, not numpy's generator, so the same seed shows the same list after an
upgrade of numpy too.

Credit, per list shown (an impression): each team scores the movies of its own that were clicked (opened from the
list), or liked (rated ``LIKED_MIN_SCORE`` or more from the list); the team that scores more wins the impression,
and equal scores (no click at all included) are a tie. Per user, ``user_tallies`` counts the impressions won, lost
(won by B) and tied; a user prefers A when they have more wins than losses, B when fewer, and is tied otherwise.
``recsys.comparison`` turns the users' preferences into the comparison's answer.

On the site, for a user in a comparison:
1. showing: ``top_a``, ``top_b`` = the first k of each version's list; ``seed = interleaving_seed(comparison_id=...,
   user_id=..., list_a=top_a, list_b=top_b)`` (the first k only, so that a change further down draws no new
   coins); ``shown = interleave(list_a=top_a, list_b=top_b, k=k, seed=seed)``; ``shown.movie_ids`` is the list,
   logged with ``shown.teams`` position by position;
2. judging: each impression's ``Interleaved`` built back from its rows, ``credit(movie_ids=opened)`` and
   ``like_credit(scores=rated)`` of its follow-ups; ``user_tallies`` of all impressions, one signal at a time;
   ``recsys.comparison.comparison_summary`` of its ``counts()``.
``interleave_rows`` is the same draft for many lists at once (the simulator's), ``credit_rows`` the same credit.
"""

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from recsys.lists import LIKED_MIN_SCORE

K_NOT_POSITIVE = "k must be at least 1, got {k}"
LIST_EMPTY = "list {team} is empty: there is nothing to interleave"
LIST_DUPLICATES = "list {team} names movie {movie} more than once"
ROWS_SHAPE = "lists_a and lists_b must be [lists, movies] arrays of one shape, got {a} and {b}"
ROWS_TOO_SHORT = "each list needs at least k = {k} movies, the rows have {n}"
COINS_TOO_FEW = "coins must be [lists, at least {need}] for k = {k}, got {shape}"
TEAMS_MISMATCH = "an interleaved list has one team per movie: {movies} movies, {teams} teams"
TALLY_LENGTHS = "user_ids, credit_a and credit_b must have one entry per impression: {lengths}"


class Team(IntEnum):
    """Whose list a movie of the interleaved list came from: A (the active version, by convention) or B."""

    A = 0
    B = 1


@dataclass(frozen=True)
class Credit:
    """One impression's score: the clicked (or liked) movies of each team."""

    a: int
    b: int

    @property
    def winner(self) -> Team | None:
        """The team that scored more, None for a tie."""
        if self.a == self.b:
            return None
        return Team.A if self.a > self.b else Team.B


@dataclass(frozen=True)
class Interleaved:
    """The list shown: its movie ids, first to last, and the team of each."""

    movie_ids: tuple[int, ...]
    teams: tuple[Team, ...]

    def __post_init__(self) -> None:
        if len(self.movie_ids) != len(self.teams):
            raise ValueError(TEAMS_MISMATCH.format(movies=len(self.movie_ids), teams=len(self.teams)))

    def team_of(self, movie_id: int) -> Team | None:
        """The team of a movie of the list, None for a movie that is not in it."""
        try:
            return self.teams[self.movie_ids.index(int(movie_id))]
        except ValueError:
            return None

    def credit(self, *, movie_ids: Iterable[int]) -> Credit:
        """The score of the movies clicked from this list (each counts once; movies not in the list count for none)."""
        teams = [self.team_of(movie) for movie in set(int(movie) for movie in movie_ids)]
        return Credit(a=teams.count(Team.A), b=teams.count(Team.B))

    def like_credit(self, *, scores: Mapping[int, float]) -> Credit:
        """The score of the movies rated from this list ``LIKED_MIN_SCORE`` or more, given ratings by movie id."""
        return self.credit(movie_ids=[movie for movie, score in scores.items() if score >= LIKED_MIN_SCORE])


def interleaving_seed(*, comparison_id: int, user_id: int, list_a: Sequence[int], list_b: Sequence[int]) -> int:
    """A 63-bit seed of one comparison, user and pair of lists: the same arguments give the same seed, always."""
    text = ",".join(map(str, (comparison_id, user_id, "a", *list_a, "b", *list_b)))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def interleaving_assigned(*, comparison_id: int, user_id: int, share: float) -> bool:
    """Whether the user is among the comparison's ``share`` of people: a fixed draw per comparison and user, so a
    person sees the interleaved list on every visit or never, and each comparison draws its own people."""
    digest = hashlib.blake2b(f"assign:{comparison_id}:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def interleaving_coins(*, seed: int, k: int) -> np.ndarray:
    """bool [ceil(k / 2)]: the draft's coins for a list of ``k`` (True: A picks first in that round), from ``seed``."""
    n = _rounds(k)
    digest = b""
    while len(digest) * 8 < n:
        block = f"{seed}:{len(digest)}".encode()
        digest += hashlib.blake2b(block, digest_size=64).digest()
    return np.unpackbits(np.frombuffer(digest, dtype=np.uint8))[:n].astype(bool)


def interleave(*, list_a: Sequence[int], list_b: Sequence[int], k: int, seed: int) -> Interleaved:
    """The team-draft list of ``min(k, len(list_a), len(list_b))`` movies from two ranked lists of distinct ids."""
    if k < 1:
        raise ValueError(K_NOT_POSITIVE.format(k=k))
    for team, listed in ((Team.A, list_a), (Team.B, list_b)):
        _check_list(team, listed)
    k = min(k, len(list_a), len(list_b))
    rows_a = np.asarray(list_a[:k], dtype=np.int64)[None, :]
    rows_b = np.asarray(list_b[:k], dtype=np.int64)[None, :]
    movies, teams = interleave_rows(
        lists_a=rows_a, lists_b=rows_b, k=k, coins=interleaving_coins(seed=seed, k=k)[None, :]
    )
    return Interleaved(movie_ids=tuple(int(m) for m in movies[0]), teams=tuple(Team(int(t)) for t in teams[0]))


def interleave_rows(
    *, lists_a: np.ndarray, lists_b: np.ndarray, k: int, coins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Team-draft for many pairs of lists at once: row i of ``lists_a`` and ``lists_b`` (int [n, >= k], distinct ids
    in a row) interleaved with row i of ``coins`` (bool [n, >= ceil(k / 2)]). Returns the movie ids (int64 [n, k])
    and the teams (int8 [n, k], ``Team`` values)."""
    lists_a, lists_b = np.asarray(lists_a), np.asarray(lists_b)
    if lists_a.ndim != 2 or lists_a.shape != lists_b.shape:
        raise ValueError(ROWS_SHAPE.format(a=lists_a.shape, b=lists_b.shape))
    if k < 1:
        raise ValueError(K_NOT_POSITIVE.format(k=k))
    if lists_a.shape[1] < k:
        raise ValueError(ROWS_TOO_SHORT.format(k=k, n=lists_a.shape[1]))
    coins = np.asarray(coins, dtype=bool)
    if coins.ndim != 2 or coins.shape[0] != lists_a.shape[0] or coins.shape[1] < _rounds(k):
        raise ValueError(COINS_TOO_FEW.format(need=_rounds(k), k=k, shape=coins.shape))
    a, b = lists_a[:, :k].astype(np.int64), lists_b[:, :k].astype(np.int64)
    n = len(a)
    rows = np.arange(n)
    # same[i, p, q]: movie p of list A is movie q of list B, in row i.
    same = a[:, :, None] == b[:, None, :]
    used_a, used_b = np.zeros((n, k), dtype=bool), np.zeros((n, k), dtype=bool)
    picks_a = np.zeros(n, dtype=np.int64)
    movies = np.empty((n, k), dtype=np.int64)
    teams = np.empty((n, k), dtype=np.int8)
    for position in range(k):
        picks_b = position - picks_a
        # When the teams are level the position is even, and its round's coin decides.
        a_picks = (picks_a < picks_b) | ((picks_a == picks_b) & coins[:, position // 2])
        # The first movie not in the list yet: one exists in both lists while the list is shorter than k.
        next_a, next_b = np.argmin(used_a, axis=1), np.argmin(used_b, axis=1)
        movies[:, position] = np.where(a_picks, a[rows, next_a], b[rows, next_b])
        teams[:, position] = np.where(a_picks, Team.A, Team.B)
        took_a, took_b = rows[a_picks], rows[~a_picks]
        used_a[took_a, next_a[a_picks]] = True
        used_b[took_a] |= same[took_a, next_a[a_picks], :]
        used_b[took_b, next_b[~a_picks]] = True
        used_a[took_b] |= same[took_b, :, next_b[~a_picks]]
        picks_a += a_picks
    return movies, teams


def credit_rows(*, teams: np.ndarray, hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many impressions' credit: for teams (``Team`` values) and hits (bool: clicked, or liked) of one shape
    [impressions, positions], each impression's hits of team A and of team B (int64 [impressions] each)."""
    teams, hits = np.asarray(teams), np.asarray(hits, dtype=bool)
    return (hits & (teams == Team.A)).sum(axis=1), (hits & (teams == Team.B)).sum(axis=1)


@dataclass(frozen=True, eq=False)
class UserTallies:
    """Per user (sorted ids): the impressions A won, B won (A's losses) and tied."""

    user_ids: np.ndarray  # int64 [users]
    wins: np.ndarray  # int64 [users]
    losses: np.ndarray
    ties: np.ndarray

    def preferences(self) -> np.ndarray:
        """int8 [users]: +1 where the user prefers A (more wins than losses), -1 for B, 0 for a tie."""
        return np.sign(self.wins - self.losses).astype(np.int8)

    def counts(self) -> tuple[int, int, int]:
        """(users preferring A, users preferring B, tied users): what ``recsys.comparison`` judges."""
        preferences = self.preferences()
        return int((preferences > 0).sum()), int((preferences < 0).sum()), int((preferences == 0).sum())


def user_tallies(*, user_ids: np.ndarray, credit_a: np.ndarray, credit_b: np.ndarray) -> UserTallies:
    """Each user's wins, losses and ties from one entry per impression: its user and each team's credit."""
    user_ids, credit_a, credit_b = (np.asarray(x, dtype=np.int64) for x in (user_ids, credit_a, credit_b))
    if not len(user_ids) == len(credit_a) == len(credit_b):
        raise ValueError(TALLY_LENGTHS.format(lengths=(len(user_ids), len(credit_a), len(credit_b))))
    users, rows = np.unique(user_ids, return_inverse=True)
    margin = np.sign(credit_a - credit_b)
    count = len(users)
    return UserTallies(
        user_ids=users,
        wins=np.bincount(rows, weights=margin > 0, minlength=count).astype(np.int64),
        losses=np.bincount(rows, weights=margin < 0, minlength=count).astype(np.int64),
        ties=np.bincount(rows, weights=margin == 0, minlength=count).astype(np.int64),
    )


def _rounds(k: int) -> int:
    return math.ceil(k / 2)


def _check_list(team: Team, movies: Sequence[int]) -> None:
    if not len(movies):
        raise ValueError(LIST_EMPTY.format(team=team.name))
    seen: set[int] = set()
    for movie in movies:
        if movie in seen:
            raise ValueError(LIST_DUPLICATES.format(team=team.name, movie=movie))
        seen.add(movie)
