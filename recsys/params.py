"""What the models are trained with, and how the list weighs them: frozen parameters, the algorithms, the error.

No torch here: the settings, the registry and the Model pages read these without loading the trainers.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from recsys.ranking_model import OTHER_WEIGHT, RECENCY

ALGORITHM_UNKNOWN = "unknown algorithm {algorithm}: choose one of {choices}"
HYPERPARAMETER_UNKNOWN = "unknown hyperparameter {name} for the {algorithm} algorithm; known: {known}"


class TrainingError(Exception):
    """The requested training cannot run (unknown algorithm or hyperparameter, too little data)."""


class Algorithm(StrEnum):
    """The rating model's architecture: fastai's ``EmbeddingDotBias`` or ``EmbeddingNN``."""

    DOT = "dot"
    NN = "nn"

    @classmethod
    def parse(cls, value: str) -> "Algorithm":
        try:
            return cls(value)
        except ValueError:
            raise TrainingError(ALGORITHM_UNKNOWN.format(algorithm=value, choices=", ".join(cls))) from None


@dataclass(frozen=True)
class RatingParams:
    """The rating model's training. The defaults were chosen by measurement (bench/train_speed.py): large batches
    with a higher learning rate, an epoch that visits every rating once (fastai's tabular loader draws with
    replacement) and one torch thread (more only spin against each other on a shared CPU)."""

    algorithm: Algorithm = Algorithm.DOT
    n_factors: int = 50
    bs: int = 2048
    epochs: int = 5
    lr: float = 8e-3
    wd: float = 0.1
    layers: tuple[int, ...] = ()  # the nn head's hidden layers
    y_range: tuple[float, float] = (0.0, 5.5)
    valid_pct: float = 0.2  # held out at random to measure the version and gate its promotion
    seed: int = 42
    sample_with_replacement: bool = False
    threads: int = 1
    # At most this many batches an epoch: past bs x max_batches training ratings the batches grow instead, or every
    # step's update of the whole embedding tables makes a 25M retrain take hours. None: bs as given, at any size.
    max_batches: int | None = 1000

    def __post_init__(self) -> None:
        # JSON (a task's arguments, a stored version) brings lists and strings: keep the declared types.
        object.__setattr__(self, "algorithm", Algorithm.parse(self.algorithm))
        object.__setattr__(self, "layers", tuple(int(n) for n in self.layers))
        object.__setattr__(self, "y_range", (float(self.y_range[0]), float(self.y_range[1])))

    @classmethod
    def default(cls, algorithm: str) -> "RatingParams":
        return RATING_DEFAULTS[Algorithm.parse(algorithm)]

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> "RatingParams":
        """A copy with ``overrides`` applied; a name that is not a hyperparameter is a TrainingError."""
        known = {f.name for f in fields(self)} - {"algorithm"}
        for name in overrides or {}:
            if name not in known:
                raise TrainingError(
                    HYPERPARAMETER_UNKNOWN.format(name=name, algorithm=self.algorithm, known=", ".join(sorted(known)))
                )
        return replace(self, **dict(overrides or {}))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as a model version records them (without the algorithm, which it records apart)."""
        values = asdict(self)
        values.pop("algorithm")
        return {**values, "layers": list(self.layers), "y_range": list(self.y_range)}


RATING_DEFAULTS = {
    Algorithm.DOT: RatingParams(),
    Algorithm.NN: RatingParams(algorithm=Algorithm.NN, n_factors=64, layers=(100, 50), epochs=4, lr=2e-2, wd=1.0),
}
# The classic recipe of the fastai book (chapter 8), the baseline our defaults are measured against: batches of
# 64 drawn the way fastai's tabular loader draws them, with replacement.
CLASSIC_RATING = replace(RATING_DEFAULTS[Algorithm.DOT], bs=64, lr=5e-3, sample_with_replacement=True, max_batches=None)


@dataclass(frozen=True)
class RankingParams:
    """The ranking model's training, chosen on validation splits carved out of the training data
    (bench/ranking_quality.py)."""

    n_factors: int = 96
    epochs: int = 30  # with one-cycle at this lr, the number of epochs is the movie factors' regulariser
    lr: float = 1e-2
    bs: int = 128  # users per batch
    # At most this many batches an epoch (bs grows past bs x max_batches users): 30 epochs of 1,270 batches made a
    # 25M retrain's ranking model alone take over an hour; ml-100k and ml-1m are under it.
    max_batches: int = 100
    # Catalogues larger than this get a sampled softmax: each batch's logits for its users' own movies and for
    # softmax_samples movies drawn by popularity, corrected for how often each is drawn (bench/ranking_sparse.py
    # measures it against the full softmax). The full softmax costs users x movies x factors per epoch: at ml-25m's
    # shape 30 epochs are 165 TFLOP, about an hour on two cores.
    full_softmax_movies: int = 20_000
    softmax_samples: int = 4096
    user_ridge: float = 10.0  # L2 on each user vector, inside the loss, so fold-in solves the same problem
    wd: float = 0.0  # fastai's (decoupled) weight decay on the movie factors and biases
    other_weight: float = OTHER_WEIGHT
    recency: float = RECENCY
    # A movie the user has not rated but opened from a list, or put on their watchlist, as a softmax target of this
    # weight (a liked rating weighs 1; recsys.implicit_feedback), the best on validation of simulated signals
    # (bench/implicit_feedback.py): to be measured again on the site's own logs.
    click_weight: float = 1.0
    watchlist_weight: float = 2.0


@dataclass(frozen=True)
class ListParams:
    """How the site's list weighs what it knows of a person (recsys.lists), chosen on validation users carved out
    of the training data (bench/taste.py --tune); every score is on a standardised scale."""

    prior: float = 1.0  # how liked the movie is by everyone (recsys.signals)
    neighbours: float = 0.4  # the person's liked movies' co-rating neighbours, minus their disliked movies'
    neighbour_scale: float = 12.0  # past this many ratings the neighbours' sum is scaled down by sqrt(n / this)
    dislike: float = 6.0  # a disliked movie's push on its nearest movies, against a liked movie's pull of 1
    dislike_reach: int = 10  # how many of a disliked movie's nearest movies it pushes
    genres: float = 9.0  # the person's taste for each genre (stars above or below their own mean), squared
    genre_shrinkage: float = 12.0  # ratings of a genre that count as much as the person's own mean
    ranking: float = 8.0  # the ranking model, for a person it learned (or placed from many ratings)
    ranking_half: float = 50.0  # ratings at which a person placed by fold-in gives it half its weight
