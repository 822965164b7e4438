"""The serving artifact of a model version: plain numpy arrays, saved as .npz + JSON, no torch and no pickle.

Training exports a fastai learner into this form; the web process loads it once and answers every request
from it. The id vocabularies travel with the weights (as in fastai's ``EmbeddingDotBias.from_classes``), so
the rows of the factor matrices always line up with Django primary keys.
"""

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from recsys.fingerprints import user_fingerprints
from recsys.params import ListParams
from recsys.ranking_model import RankingModel
from recsys.signals import ListSignals
from recsys.training_ratings import TrainingRatings
from recsys.vocabulary import IdRows

SERVING_ARRAYS = "serving.npz"
SERVING_META = "serving.json"
# The ranking model's arrays in serving.npz (rows those of the rating model's vocabularies) and its scalars'
# key in serving.json.
RANKING_ARRAYS = {
    "rank_user_factors": "user_factors",
    "rank_user_mean": "user_mean",
    "rank_movie_factors": "movie_factors",
    "rank_movie_bias": "movie_bias",
}
RANKING_META = "ranking"
RANKING_SCALARS = ("user_ridge", "other_weight", "recency")
# The list's signals in serving.npz, and the genre names and the list's weights in serving.json.
SIGNALS_ARRAYS = {
    "list_prior": "prior",
    "list_neighbour_rows": "neighbour_rows",
    "list_neighbour_sims": "neighbour_sims",
    "list_genres": "genres",
    "list_counts": "counts",
}
SIGNALS_META = "list"
# The training ratings by movie (recsys.training_ratings), in serving.npz only where the classic cold start needs
# them; and each user's fingerprint (recsys.fingerprints), in every artifact.
TRAINING_ARRAYS = {
    "training_movie_starts": "movie_starts",
    "training_user_rows": "user_rows",
    "training_scores": "scores",
}
FINGERPRINTS = "user_fingerprints"
# The training ratings as artifacts written before the fingerprints carried them: (user row, movie row, score)
# triples, read still (see ``FactorModel.load``).
LEGACY_TRAINING_ARRAYS = ("rating_user_rows", "rating_movie_rows", "rating_scores")
# Users whose predictions the check of an artifact computes against y_range (each one against every movie).
SANITY_USERS = 200

ARRAY_NOT_FINITE = "{name} has values that are not finite"
ARRAY_SHAPE = "{name} has shape {shape}, expected {expected}"
ARRAY_DTYPE = "{name} has type {dtype}, expected {expected}"
TRAINING_RATINGS_INCONSISTENT = "the training ratings are inconsistent: {why}"
RANKING_MISSING = "the artifact has no ranking model"
SIGNALS_MISSING = "the artifact has no list signals (prior, neighbours, genres)"
PREDICTIONS_OUT_OF_RANGE = "predictions leave y_range [{low}, {high}]: from {min:.4f} to {max:.4f}"
TRAINING_RATINGS_MISSING = "the artifact has no training ratings"


class UnknownIdError(KeyError):
    """An id that the model never saw in training: such a user or movie has no learned factors."""


UNKNOWN_ID = "{kind} {id} is not in the model's training data"


@dataclass(frozen=True, eq=False)
class DenseLayer:
    """One layer of an ``nn`` model's head (fastai ``LinBnDrop``): linear, then on hidden layers ReLU and batch norm."""

    weight: np.ndarray  # float32 [out, in]
    bias: np.ndarray  # float32 [out]
    # A hidden layer's eval-mode batch norm after its ReLU, folded into h * scale + shift; None on the output layer.
    scale: np.ndarray | None = None
    shift: np.ndarray | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.activate(x @ self.weight.T + self.bias)

    def activate(self, h: np.ndarray) -> np.ndarray:
        """What follows the linear map: nothing on the output layer, ReLU and batch norm on a hidden one."""
        if self.scale is None:
            return h
        return np.maximum(h, 0.0) * self.scale + self.shift


@dataclass(frozen=True, eq=False)
class FactorModel:
    """Biased matrix factorisation: rating = lo + (hi - lo) * sigmoid(u . m + b_u + b_m).

    An ``nn`` model (fastai ``EmbeddingNN``) carries ``mlp``, its head, which replaces the dot product:
    rating = lo + (hi - lo) * sigmoid(mlp([u, m])), its biases being zero.
    """

    user_ids: np.ndarray  # int64 [n_users], Django User pks
    movie_ids: np.ndarray  # int64 [n_movies], Movie pks
    user_factors: np.ndarray  # float32 [n_users, k]
    user_bias: np.ndarray  # float32 [n_users]
    movie_factors: np.ndarray  # float32 [n_movies, k]
    movie_bias: np.ndarray  # float32 [n_movies]
    y_range: tuple[float, float]
    meta: dict[str, Any] = field(default_factory=dict)
    # Optional: the training ratings, which the classic cold start compares a new user's ratings against; only
    # artifacts that need them carry them (see ``without_training_ratings``).
    training: TrainingRatings | None = None
    # uint64 [n_users]: each user's fingerprint of the ratings training saw (``recsys.fingerprints``), which tells
    # serving whether a user's learned vector is of their current ratings. None: the artifact cannot tell.
    user_fingerprints: np.ndarray | None = None
    mlp: tuple[DenseLayer, ...] = ()
    # The ranking model that orders the site's list, its rows aligned with user_ids and movie_ids. Every retrain
    # ships one; ``problems()`` refuses an artifact without it.
    ranking: RankingModel | None = None
    # What the list weighs besides the ranking model, and how; every retrain ships them too.
    signals: ListSignals | None = None
    list_params: ListParams = field(default_factory=ListParams)
    _user_rows: IdRows = field(init=False, repr=False)
    _movie_rows: IdRows = field(init=False, repr=False)
    # With an MLP: each movie's share of the first layer's input, computed once, since [u, m] @ W.T splits into
    # u @ W_u.T + m @ W_m.T and only the user's share changes from one request to the next.
    _movie_inputs: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_user_rows", IdRows.of(self.user_ids))
        object.__setattr__(self, "_movie_rows", IdRows.of(self.movie_ids))
        movie_inputs = None
        if self.mlp:
            movie_inputs = self.movie_factors @ self.mlp[0].weight[:, self.user_factors.shape[1] :].T
        object.__setattr__(self, "_movie_inputs", movie_inputs)

    @property
    def n_factors(self) -> int:
        return int(self.movie_factors.shape[1])

    def user_index(self, user_id: int) -> int:
        row = self._user_rows.row(user_id)
        if row < 0:
            raise UnknownIdError(UNKNOWN_ID.format(kind="user", id=user_id))
        return row

    def movie_index(self, movie_id: int) -> int:
        return int(self.movie_rows(np.array([movie_id]), known=True)[0])

    def movie_rows(self, movie_ids: np.ndarray, *, known: bool = False) -> np.ndarray:
        """int64: the row of each movie id, -1 for a movie the model does not know; with ``known``, such a movie
        raises UnknownIdError instead."""
        rows = self._movie_rows.rows(movie_ids)
        if known and (rows < 0).any():
            raise UnknownIdError(UNKNOWN_ID.format(kind="movie", id=np.asarray(movie_ids)[np.argmax(rows < 0)]))
        return rows

    def has_user(self, user_id: int) -> bool:
        return self._user_rows.row(user_id) >= 0

    def has_movie(self, movie_id: int) -> bool:
        return self._movie_rows.row(movie_id) >= 0

    def squash(self, logits: np.ndarray) -> np.ndarray:
        lo, hi = self.y_range
        return lo + (hi - lo) / (1.0 + np.exp(-logits))

    @property
    def has_mlp(self) -> bool:
        return bool(self.mlp)

    def _mlp_logits(self, users: np.ndarray, movie_rows: np.ndarray | None) -> np.ndarray:
        """The MLP's output for user factors ``users`` (one vector, or one row per movie row) and movie rows."""
        first = self.mlp[0]
        assert self._movie_inputs is not None, "computed in __post_init__ for every model with an MLP"
        movie_inputs = self._movie_inputs if movie_rows is None else self._movie_inputs[movie_rows]
        h = first.activate(users @ first.weight[:, : self.user_factors.shape[1]].T + movie_inputs + first.bias)
        for layer in self.mlp[1:]:
            h = layer(h)
        return h[:, 0]

    def predict_vector(
        self, user_vector: np.ndarray, user_bias: float, movie_rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Predicted ratings of the given movie rows (all movies when None) for a user given by factors."""
        factors = self.movie_factors if movie_rows is None else self.movie_factors[movie_rows]
        bias = self.movie_bias if movie_rows is None else self.movie_bias[movie_rows]
        if self.mlp:
            return self.squash(self._mlp_logits(user_vector, movie_rows) + user_bias + bias)
        return self.squash(factors @ user_vector + user_bias + bias)

    def predict_pairs(self, user_rows: np.ndarray, movie_rows: np.ndarray) -> np.ndarray:
        """Predicted rating of each (user row, movie row) pair."""
        users = self.user_factors[user_rows]
        if self.mlp:
            logits = self._mlp_logits(users, np.asarray(movie_rows))
        else:
            logits = np.einsum("ij,ij->i", users, self.movie_factors[movie_rows])
        return self.squash(logits + self.user_bias[user_rows] + self.movie_bias[movie_rows])

    def predict_user(self, user_row: int, movie_rows: np.ndarray | None = None) -> np.ndarray:
        return self.predict_vector(self.user_factors[user_row], float(self.user_bias[user_row]), movie_rows)

    @property
    def has_training_ratings(self) -> bool:
        return self.training is not None

    def training_ratings(self) -> TrainingRatings:
        """The training ratings, for a model that has them (they are optional)."""
        if self.training is None:
            raise ValueError(TRAINING_RATINGS_MISSING)
        return self.training

    def served_ranking(self) -> RankingModel:
        """The ranking model, which every servable artifact has (``problems()`` refuses one without)."""
        if self.ranking is None:
            raise ValueError(RANKING_MISSING)
        return self.ranking

    def served_signals(self) -> ListSignals:
        """The list's signals, which every servable artifact has (``problems()`` refuses one without)."""
        if self.signals is None:
            raise ValueError(SIGNALS_MISSING)
        return self.signals

    def with_training_ratings(
        self, *, user_ids: np.ndarray, movie_ids: np.ndarray, scores: np.ndarray
    ) -> "FactorModel":
        """A copy that carries the training ratings (Django pks) and the users' fingerprints of them; pairs outside
        the vocabularies are dropped."""
        user_rows = _rows_of(self.user_ids, user_ids)
        movie_rows = _rows_of(self.movie_ids, movie_ids)
        known = (user_rows >= 0) & (movie_rows >= 0)
        return self._with_triples(user_rows[known], movie_rows[known], np.asarray(scores, dtype=np.float32)[known])

    def _with_triples(self, user_rows: np.ndarray, movie_rows: np.ndarray, scores: np.ndarray) -> "FactorModel":
        training = TrainingRatings.from_triples(
            user_rows=user_rows, movie_rows=movie_rows, scores=scores, n_movies=len(self.movie_ids)
        )
        fingerprints = user_fingerprints(
            user_rows=user_rows, movie_rows=movie_rows, scores=scores, n_users=len(self.user_ids)
        )
        return replace(self, training=training, user_fingerprints=fingerprints)

    def without_training_ratings(self) -> "FactorModel":
        """A copy without the training ratings, its users' fingerprints kept: what serving needs unless the classic
        cold start places users (``recsys.cold_start.artifact_form``)."""
        return replace(self, training=None)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the artifact by its name in serving.npz (the vocabularies and y_range aside)."""
        arrays = {name: getattr(self, name) for name in ("user_factors", "user_bias", "movie_factors", "movie_bias")}
        if self.user_fingerprints is not None:
            arrays[FINGERPRINTS] = self.user_fingerprints
        if self.training is not None:
            arrays.update({name: getattr(self.training, part) for name, part in TRAINING_ARRAYS.items()})
        for i, layer in enumerate(self.mlp):
            parts = {"weight": layer.weight, "bias": layer.bias, "scale": layer.scale, "shift": layer.shift}
            arrays.update({f"mlp_{i}_{name}": a for name, a in parts.items() if a is not None})
        if self.ranking is not None:
            arrays.update({name: getattr(self.ranking, part) for name, part in RANKING_ARRAYS.items()})
        if self.signals is not None:
            arrays.update({name: getattr(self.signals, part) for name, part in SIGNALS_ARRAYS.items()})
        return arrays

    def _expected_shapes(self) -> dict[str, tuple[int, ...]]:
        n_users, n_movies = len(self.user_ids), len(self.movie_ids)
        if self.movie_factors.ndim != 2:
            return {"movie_factors": (n_movies, -1)}
        # A dot model's user and movie vectors share one space; an nn model's head reads them at their own sizes.
        user_k = self.user_factors.shape[1] if self.has_mlp and self.user_factors.ndim == 2 else self.n_factors
        expected = {
            "user_factors": (n_users, user_k),
            "user_bias": (n_users,),
            "movie_factors": (n_movies, self.n_factors),
            "movie_bias": (n_movies,),
        }
        width = user_k + self.n_factors
        for i, layer in enumerate(self.mlp):
            out = layer.weight.shape[0] if layer.weight.ndim == 2 else -1
            expected[f"mlp_{i}_weight"] = (out, width)
            expected[f"mlp_{i}_bias"] = (out,)
            if layer.scale is not None:
                expected.update({f"mlp_{i}_scale": (out,), f"mlp_{i}_shift": (out,)})
            width = out
        if self.ranking is not None:
            # The ranking model's rows line up with the rating model's vocabularies; its width is its own.
            movie_factors = self.ranking.movie_factors
            rank_k = movie_factors.shape[1] if movie_factors.ndim == 2 else -1
            expected.update(
                {
                    "rank_user_factors": (n_users, rank_k),
                    "rank_user_mean": (rank_k,),
                    "rank_movie_factors": (n_movies, rank_k),
                    "rank_movie_bias": (n_movies,),
                }
            )
        if self.user_fingerprints is not None:
            expected[FINGERPRINTS] = (n_users,)
        if self.training is not None:
            n_ratings = len(self.training.user_rows)
            expected.update(
                {
                    "training_movie_starts": (n_movies + 1,),
                    "training_user_rows": (n_ratings,),
                    "training_scores": (n_ratings,),
                }
            )
        if self.signals is not None:
            k = self.signals.neighbour_rows.shape[1] if self.signals.neighbour_rows.ndim == 2 else -1
            expected.update(
                {
                    "list_prior": (n_movies,),
                    "list_neighbour_rows": (n_movies, k),
                    "list_neighbour_sims": (n_movies, k),
                    "list_genres": (n_movies, len(self.signals.genre_names)),
                    "list_counts": (n_movies,),
                }
            )
        return expected

    def problems(self) -> list[str]:
        """Why this artifact cannot be served (shapes, values that are not finite, an MLP that does not chain, no
        ranking model, fingerprints or training ratings of another type, training ratings that do not tile or whose
        user rows leave the vocabulary, predictions outside ``y_range``); empty when it can. The one check that the
        exporter, the promotion gate, manual activation and serving all run."""
        arrays = self.arrays()
        found = []
        for name, expected in self._expected_shapes().items():
            array = arrays[name]
            if array.shape != expected:
                found.append(ARRAY_SHAPE.format(name=name, shape=array.shape, expected=expected))
            elif name in _EXACT_TYPES and array.dtype != _EXACT_TYPES[name]:
                found.append(ARRAY_DTYPE.format(name=name, dtype=array.dtype, expected=np.dtype(_EXACT_TYPES[name])))
            elif not np.isfinite(array).all():
                found.append(ARRAY_NOT_FINITE.format(name=name))
        if not found and self.training is not None:
            found.extend(self._training_problems())
        if self.ranking is None:
            found.append(RANKING_MISSING)
        if self.signals is None:
            found.append(SIGNALS_MISSING)
        elif not found and len(self.movie_ids):
            rows = self.signals.neighbour_rows
            if rows.size and (rows.min() < -1 or rows.max() >= len(self.movie_ids)):
                found.append(
                    ARRAY_SHAPE.format(
                        name="list_neighbour_rows", shape="rows out of range", expected="-1 to n_movies - 1"
                    )
                )
        if found or not len(self.user_ids) or not len(self.movie_ids):
            return found
        low, high = self.y_range
        sample = range(min(SANITY_USERS, len(self.user_ids)))
        predictions = np.concatenate([self.predict_user(row) for row in sample])
        if not (np.isfinite(predictions).all() and low <= predictions.min() <= predictions.max() <= high):
            found.append(
                PREDICTIONS_OUT_OF_RANGE.format(low=low, high=high, min=predictions.min(), max=predictions.max())
            )
        return found

    def _training_problems(self) -> list[str]:
        """Training ratings whose runs do not tile them, or whose user rows leave the vocabulary (shapes checked)."""
        assert self.training is not None, "called only for a model with training ratings"
        starts, user_rows = self.training.movie_starts, self.training.user_rows
        if starts[0] != 0 or starts[-1] != len(user_rows) or (np.diff(starts) < 0).any():
            return [TRAINING_RATINGS_INCONSISTENT.format(why="movie starts do not run from 0 to the number of ratings")]
        if len(user_rows) and (user_rows.min() < 0 or user_rows.max() >= len(self.user_ids)):
            return [TRAINING_RATINGS_INCONSISTENT.format(why="user rows out of range")]
        return []

    def save(self, directory: Path) -> list[Path]:
        """Write the arrays and the metadata into ``directory``; returns the files written."""
        arrays_path = directory / SERVING_ARRAYS
        meta_path = directory / SERVING_META
        meta = dict(self.meta)
        if self.signals is not None:
            meta[SIGNALS_META] = {"genre_names": list(self.signals.genre_names), "params": asdict(self.list_params)}
        if self.ranking is not None:
            meta[RANKING_META] = {name: float(getattr(self.ranking, name)) for name in RANKING_SCALARS}
        # No pickle on the way out either (``load`` refuses it): an object array fails here, not at serving.
        np.savez(
            arrays_path,
            allow_pickle=False,
            **{name: _stored(name, array) for name, array in self.arrays().items()},
            user_ids=self.user_ids.astype(np.int64),
            movie_ids=self.movie_ids.astype(np.int64),
            y_range=np.asarray(self.y_range, dtype=np.float32),
        )
        meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True))
        return [arrays_path, meta_path]

    @classmethod
    def load(cls, directory: Path) -> "FactorModel":
        with np.load(directory / SERVING_ARRAYS, allow_pickle=False) as arrays:
            loaded = {name: arrays[name] for name in arrays.files}
        meta = json.loads((directory / SERVING_META).read_text())
        y_range = loaded.pop("y_range")
        layers: dict[int, dict[str, np.ndarray]] = {}
        for name in [name for name in loaded if name.startswith("mlp_")]:
            _, index, part = name.split("_", 2)
            layers.setdefault(int(index), {})[part] = loaded.pop(name)
        mlp = tuple(DenseLayer(**layers[i]) for i in sorted(layers))
        training = None
        if any(name in loaded for name in TRAINING_ARRAYS):
            # Half-written training ratings are a KeyError, which the loader refuses.
            training = TrainingRatings(**{part: loaded.pop(name) for name, part in TRAINING_ARRAYS.items()})
        legacy = [loaded.pop(name) for name in LEGACY_TRAINING_ARRAYS if name in loaded]
        ranking = None
        if RANKING_META in meta or any(name in loaded for name in RANKING_ARRAYS):
            # A half-written ranking (arrays without scalars or the reverse) is a KeyError: the loader refuses it.
            scalars = meta.pop(RANKING_META)
            # Any: arrays and floats by field name, too mixed for one value type to check against each field.
            parts: dict[str, Any] = {part: loaded.pop(name) for name, part in RANKING_ARRAYS.items()}
            parts.update({name: float(scalars[name]) for name in RANKING_SCALARS})
            ranking = RankingModel(user_ids=loaded["user_ids"], movie_ids=loaded["movie_ids"], **parts)
        signals, list_params = None, ListParams()
        if SIGNALS_META in meta or any(name in loaded for name in SIGNALS_ARRAYS):
            # As with the ranking model: half-written signals are a KeyError, which the loader refuses.
            written = meta.pop(SIGNALS_META)
            signals = ListSignals(
                **{part: loaded.pop(name) for name, part in SIGNALS_ARRAYS.items()},
                genre_names=tuple(written["genre_names"]),
            )
            list_params = ListParams(**written["params"])
        model = cls(
            **loaded,
            y_range=(float(y_range[0]), float(y_range[1])),
            meta=meta,
            mlp=mlp,
            ranking=ranking,
            signals=signals,
            list_params=list_params,
            training=training,
        )
        if legacy:
            # Written before fingerprints: the triples become the training ratings and give the fingerprints.
            user_rows, movie_rows, scores = legacy
            sizes = {"user": len(model.user_ids), "movie": len(model.movie_ids)}
            for kind, rows in (("user", user_rows), ("movie", movie_rows)):
                if len(rows) and (rows.min() < 0 or rows.max() >= sizes[kind]):
                    raise ValueError(TRAINING_RATINGS_INCONSISTENT.format(why=f"{kind} rows out of range"))
            return model._with_triples(user_rows, movie_rows, scores)
        return model


# Arrays that serving reads in exactly these types (a fingerprint compares as uint64, rows index): ``problems()``
# refuses any other.
_EXACT_TYPES: dict[str, type[np.generic]] = {
    FINGERPRINTS: np.uint64,
    "training_movie_starts": np.int64,
    "training_user_rows": np.int32,
    "training_scores": np.float32,
}
# Arrays keep their integer types on disk (neighbour rows, genre flags, counts, the above); the rest is float32.
_STORED_TYPES: dict[str, type[np.generic]] = {
    "list_neighbour_rows": np.int32,
    "list_genres": np.uint8,
    "list_counts": np.int32,
    **_EXACT_TYPES,
}


def _stored(name: str, array: np.ndarray) -> np.ndarray:
    return array.astype(_STORED_TYPES.get(name, np.float32), copy=False)


def _rows_of(vocabulary: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """int64: the row of each id in ``vocabulary`` (a permutation of unique ids), -1 where it is not there."""
    return IdRows.of(vocabulary).rows(ids)
