"""Simulated people whose true taste is a fitted factor model: shown a list, they click by position and taste, and
rate what they click.

The click model is position-based (the PBM of Craswell, Zoeter, Taylor and Ramsey, WSDM 2008; Chuklin, Markov and
de Rijke, "Click Models for Web Search", 2015): the movie at position ``r`` (1 = first) is looked at with
probability ``first * (1 / r) ** eta`` (the examination curve of Joachims, Swaminathan and Schnabel, WSDM 2017),
and a movie looked at is clicked with its attractiveness, ``sigmoid((true rating - midpoint) / spread)``; positions
are clicked independently. With the defaults the first position is looked at 40% of the time and the fifth a fifth
as often; a movie looked at is clicked half the time when the person would rate it 4.25 stars, 82% at 5 and 8% at
3. On the lists of a good version that makes 0.6 clicks a list and a click on 46% of them (bench/interleaving_power.py
prints both). People who differ in how much they look at lists (real ones do: a few click on most lists, many on
few) are given their own probability of looking at the first position, ``attention``. The person rates each movie
they click: their true rating plus normal noise of sd ``noise``, rounded to the site's half stars from 0.5 to 5.

The true rating is the taste model's prediction (``FactorModel.predict_pairs``: any fitted model, dot or nn, or
one made of plain arrays). A simulated person is a user row of that model, and the lists shown name movie ids, as
the site's pages do. Everything is drawn from the generator passed in, one draw per array: the same generator state
gives the same clicks and ratings.

For comparisons on this machine: ``simulated_lists`` is the list of a version of known quality (each person's
movies ordered by their true rating plus noise, the noise its error), and ``interleaved_preferences`` shows each
person one team-draft list of two versions' lists and says which version they preferred, by clicks and by likes.
"""

import math
from dataclasses import dataclass

import numpy as np

from recsys.interleaving import credit_rows, interleave_rows, user_tallies
from recsys.lists import LIKED_MIN_SCORE
from recsys.metrics import top_k_unseen
from recsys.rating_model import FactorModel

# The site's scores (ratings.models): half stars from 0.5 to 5.
SCORE_RANGE = (0.5, 5.0)
# synthetic_taste's arrays, 8 factors: the spread of predictions (1st to 99th percentile 1.7 to 4.4 stars, a
# person's top 10 at 4.43 on average, top 100 at 4.10) of the dot model fitted to MovieLens 100k (1.8 to 4.6,
# 4.42, 4.14).
SYNTHETIC_FACTOR_SD = 0.36
SYNTHETIC_BIAS_SD = 0.2
SYNTHETIC_MEAN_LOGIT = 0.3
_LIST_CHUNK = 4096

FIRST_OUT_OF_RANGE = "first must be above 0 and at most 1, got {first}"
ETA_NEGATIVE = "eta must not be negative, got {eta}"
SPREAD_NOT_POSITIVE = "spread must be positive, got {spread}"
NOISE_NEGATIVE = "noise must not be negative, got {noise}"
LIST_NOISE_NEGATIVE = "a list's noise must not be negative, got {noise}"
ATTENTION_INVALID = "attention is one probability from 0 to 1 per list, {lists} of them"
SHAPES = "user_rows must be [lists] and movie_ids [lists, positions], got {users} and {movies}"
USER_ROW_OUT_OF_RANGE = "user rows are rows of the taste model, 0 to {last}; got {row}"


@dataclass(frozen=True)
class ClickParams:
    """How simulated people click and rate (see the module's docstring)."""

    first: float = 0.4  # the probability that the first position is looked at (the list at all)
    eta: float = 1.0  # examination first * (1 / position) ** eta; 0: every position as often as the first
    midpoint: float = 4.25  # the true rating clicked half the time when looked at
    spread: float = 0.5  # stars from the midpoint to a logit of 1
    noise: float = 0.5  # sd of a rating around the true one, in stars

    def __post_init__(self) -> None:
        if not 0 < self.first <= 1:
            raise ValueError(FIRST_OUT_OF_RANGE.format(first=self.first))
        if self.eta < 0:
            raise ValueError(ETA_NEGATIVE.format(eta=self.eta))
        if not self.spread > 0:
            raise ValueError(SPREAD_NOT_POSITIVE.format(spread=self.spread))
        if self.noise < 0:
            raise ValueError(NOISE_NEGATIVE.format(noise=self.noise))

    def examination(self, positions: int, *, attention: np.ndarray | None = None) -> np.ndarray:
        """The probability that each position, first to last, is looked at: float [positions], or [lists,
        positions] for people whose own probability of looking at the first position is ``attention`` [lists]."""
        curve = (1.0 / np.arange(1, positions + 1)) ** self.eta
        if attention is None:
            return self.first * curve
        return np.asarray(attention, dtype=float)[:, None] * curve[None, :]

    def attractiveness(self, true_ratings: np.ndarray) -> np.ndarray:
        """The probability that a movie looked at is clicked, from the person's true rating of it."""
        return 1.0 / (1.0 + np.exp(-(np.asarray(true_ratings) - self.midpoint) / self.spread))


@dataclass(frozen=True, eq=False)
class Responses:
    """What each simulated person did with the list shown to them, position by position."""

    clicked: np.ndarray  # bool [lists, positions]
    scores: np.ndarray  # float [lists, positions]: the rating given, NaN where not clicked

    @property
    def liked(self) -> np.ndarray:
        """bool [lists, positions]: clicked and rated ``LIKED_MIN_SCORE`` or more."""
        return np.nan_to_num(self.scores, nan=-np.inf) >= LIKED_MIN_SCORE


def true_ratings(*, taste: FactorModel, user_rows: np.ndarray, movie_ids: np.ndarray) -> np.ndarray:
    """float [lists, positions]: each person's (``user_rows`` [lists]) true rating of each movie shown to them
    (``movie_ids`` [lists, positions]); an id the taste model does not know raises its UnknownIdError."""
    user_rows, movie_ids = np.asarray(user_rows, dtype=np.int64), np.asarray(movie_ids, dtype=np.int64)
    if user_rows.ndim != 1 or movie_ids.ndim != 2 or len(user_rows) != len(movie_ids):
        raise ValueError(SHAPES.format(users=user_rows.shape, movies=movie_ids.shape))
    n_users = len(taste.user_ids)
    outside = user_rows[(user_rows < 0) | (user_rows >= n_users)]
    if len(outside):
        raise ValueError(USER_ROW_OUT_OF_RANGE.format(last=n_users - 1, row=int(outside[0])))
    ids, inverse = np.unique(movie_ids, return_inverse=True)
    movie_rows = np.array([taste.movie_index(int(movie)) for movie in ids], dtype=np.int64)[inverse]
    users = np.broadcast_to(user_rows[:, None], movie_ids.shape)
    return taste.predict_pairs(users.ravel(), movie_rows.ravel()).reshape(movie_ids.shape)


def simulated_responses(
    *,
    taste: FactorModel,
    user_rows: np.ndarray,
    movie_ids: np.ndarray,
    rng: np.random.Generator,
    params: ClickParams = ClickParams(),
    attention: np.ndarray | None = None,
) -> Responses:
    """The clicks and ratings of people (``user_rows`` [lists] of ``taste``) shown lists (``movie_ids`` [lists,
    positions], first to last), drawn from ``rng``. ``attention`` [lists]: each person's own probability of looking
    at the first position, for people who differ in how much they look (None: ``params.first`` for everyone)."""
    truth = true_ratings(taste=taste, user_rows=user_rows, movie_ids=movie_ids)
    if attention is not None:
        attention = np.asarray(attention, dtype=float)
        if attention.shape != (len(truth),) or not ((attention >= 0) & (attention <= 1)).all():
            raise ValueError(ATTENTION_INVALID.format(lists=len(truth)))
    click = params.examination(truth.shape[1], attention=attention) * params.attractiveness(truth)
    clicked = rng.random(truth.shape) < click
    noisy = truth + rng.normal(0.0, params.noise, truth.shape) if params.noise else truth
    stars = np.clip(np.round(noisy * 2) / 2, *SCORE_RANGE)
    return Responses(clicked=clicked, scores=np.where(clicked, stars, np.nan))


@dataclass(frozen=True, eq=False)
class Preferences:
    """Which version each simulated person preferred (int8 [people]: +1 A, -1 B, 0 tied), by each signal."""

    clicks: np.ndarray
    likes: np.ndarray


def simulated_lists(
    *, taste: FactorModel, user_rows: np.ndarray, k: int, noise: float, rng: np.random.Generator
) -> np.ndarray:
    """int64 [lists, k]: the movie ids a version of known error would show each person (``user_rows``): the whole
    catalogue ordered by the person's true rating plus normal noise of sd ``noise`` stars (0: by their true taste)."""
    if noise < 0:
        raise ValueError(LIST_NOISE_NEGATIVE.format(noise=noise))
    people, inverse = np.unique(np.asarray(user_rows, dtype=np.int64), return_inverse=True)
    truth = np.stack([taste.predict_user(int(row)) for row in people]) if len(people) else np.empty((0, 0))
    lists = []
    # A chunk of people at a time: their scores of the whole catalogue are the one large array.
    for start in range(0, len(inverse), _LIST_CHUNK):
        scores = truth[inverse[start : start + _LIST_CHUNK]]
        if noise:
            scores = scores + rng.normal(0.0, noise, scores.shape)
        lists.append(taste.movie_ids[top_k_unseen(scores, np.zeros(scores.shape, dtype=bool), k)])
    return np.concatenate(lists).astype(np.int64) if lists else np.empty((0, k), dtype=np.int64)


def interleaved_preferences(
    *,
    taste: FactorModel,
    user_rows: np.ndarray,
    lists_a: np.ndarray,
    lists_b: np.ndarray,
    k: int,
    rng: np.random.Generator,
    params: ClickParams = ClickParams(),
    attention: np.ndarray | None = None,
    people: np.ndarray | None = None,
) -> Preferences:
    """Impressions (``user_rows`` [impressions]), each the team-draft list of length ``k`` of its rows of
    ``lists_a`` and ``lists_b``, the coins drawn from ``rng``; which version each person preferred over their
    impressions (``recsys.interleaving.user_tallies``), by clicks and by likes. ``people`` [impressions]: whose
    impression each is, the preferences in the order of their sorted ids (None: each impression a person of its
    own, in order). ``attention`` [impressions] as for ``simulated_responses``."""
    coins = rng.random((len(lists_a), math.ceil(k / 2))) < 0.5
    movies, teams = interleave_rows(lists_a=lists_a, lists_b=lists_b, k=k, coins=coins)
    responses = simulated_responses(
        taste=taste, user_rows=user_rows, movie_ids=movies, rng=rng, params=params, attention=attention
    )
    people = np.arange(len(movies)) if people is None else np.asarray(people)
    by_signal = []
    for hits in (responses.clicked, responses.liked):
        credit_a, credit_b = credit_rows(teams=teams, hits=hits)
        by_signal.append(user_tallies(user_ids=people, credit_a=credit_a, credit_b=credit_b).preferences())
    return Preferences(clicks=by_signal[0], likes=by_signal[1])


def synthetic_taste(*, users: int, movies: int, factors: int = 8, seed: int = 0) -> FactorModel:
    """A taste model of plain random arrays whose predictions spread as those of the dot model fitted to MovieLens
    100k do (10th, 50th, 90th percentile near 2.4, 3.2 and 4.0 stars), for a simulation with no fitted model at
    hand. The user and movie ids are 1 to ``users`` and 1 to ``movies``."""
    rng = np.random.default_rng(seed)
    scale = SYNTHETIC_FACTOR_SD * (8 / factors) ** 0.25  # the dot product's spread whatever the number of factors
    return FactorModel(
        user_ids=np.arange(1, users + 1),
        movie_ids=np.arange(1, movies + 1),
        user_factors=rng.normal(0.0, scale, (users, factors)).astype(np.float32),
        user_bias=rng.normal(0.0, SYNTHETIC_BIAS_SD, users).astype(np.float32),
        movie_factors=rng.normal(0.0, scale, (movies, factors)).astype(np.float32),
        movie_bias=rng.normal(SYNTHETIC_MEAN_LOGIT, SYNTHETIC_BIAS_SD, movies).astype(np.float32),
        y_range=(0.0, 5.5),
    )
