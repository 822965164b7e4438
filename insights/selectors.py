"""Reads for the Model section: the version history, what one version learned, and how the ratings grow."""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.sql.compiler import SQLCompiler

from ratings.models import Movie, Rating, RatingQuerySet
from recommender.models import Comparison, ModelVersion
from recommender.services.artifact_cache import artifact_load
from recsys.rating_model import FactorModel

BIAS_LIST_LENGTH = 10
MAP_MOVIES = 50
MAP_END_TITLES = 3
# Pairs drawn for the histogram of predicted ratings: enough for a smooth histogram, few enough that an nn model's
# head (an MLP per pair) draws it in a fraction of a second.
PREDICTION_SAMPLE_PAIRS = 100_000
PREDICTION_SAMPLE_SEED = 0


@dataclass(frozen=True)
class MovieBias:
    movie_id: int
    title: str
    bias: float


@dataclass(frozen=True)
class MapPoint:
    movie_id: int
    title: str
    n_ratings: int
    x: float
    y: float


@dataclass(frozen=True)
class FactorMap:
    points: list[MapPoint]
    explained: tuple[float, float]  # share of the variance of the mapped factors along each axis

    @property
    def ends(self) -> dict[str, list[str]]:
        """The titles at both ends of each axis, the words of the map's text alternative."""
        if not self.points:
            return {}
        by_x = sorted(self.points, key=lambda p: p.x)
        by_y = sorted(self.points, key=lambda p: p.y)
        n = min(MAP_END_TITLES, len(self.points))
        return {
            "left": [p.title for p in by_x[:n]],
            "right": [p.title for p in by_x[::-1][:n]],
            "bottom": [p.title for p in by_y[:n]],
            "top": [p.title for p in by_y[::-1][:n]],
        }


@dataclass(frozen=True)
class PredictionSummary:
    n_predictions: int
    n_pairs: int  # every user x movie pair of the model; n_predictions is all of them or a random sample
    counts: list[int]
    edges: list[float]
    mean: float
    p5: float
    median: float
    p95: float
    share_4_plus: float


@dataclass(frozen=True)
class DailyCounts:
    days: list[dt.date]
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def busiest(self) -> tuple[dt.date, int] | None:
        if not self.counts:
            return None
        top = int(np.argmax(self.counts))
        return self.days[top], self.counts[top]


def version_history() -> list[ModelVersion]:
    """Every version, newest first."""
    return list(ModelVersion.objects.order_by("-created_at", "-id"))


RECENT_COMPARISONS = 10


def comparisons_recent(*, n: int = RECENT_COMPARISONS) -> list[Comparison]:
    """The latest comparisons, the running one first, with their versions."""
    return list(Comparison.objects.select_related("version_a", "version_b", "started_by")[:n])


def version_factor_model(*, version: ModelVersion) -> FactorModel:
    """The version's serving arrays, after the SHA-256 check; raises ArtifactError when they cannot be trusted."""
    return artifact_load(version=version)


def _titles(movie_ids: list[int]) -> dict[int, str]:
    return dict(Movie.objects.filter(pk__in=movie_ids).values_list("pk", "title"))


def movie_bias_extremes(*, model: FactorModel, n: int = BIAS_LIST_LENGTH) -> tuple[list[MovieBias], list[MovieBias]]:
    """The n movies with the lowest learned bias (lowest first) and the n with the highest (highest first)."""
    order = np.argsort(model.movie_bias, kind="stable")
    lowest_rows, highest_rows = order[:n], order[::-1][:n]
    movie_ids = [int(model.movie_ids[row]) for row in np.concatenate([lowest_rows, highest_rows])]
    titles = _titles(movie_ids)

    def describe(rows: np.ndarray) -> list[MovieBias]:
        return [
            MovieBias(
                movie_id=int(model.movie_ids[row]),
                title=titles.get(int(model.movie_ids[row]), f"movie {int(model.movie_ids[row])}"),
                bias=float(model.movie_bias[row]),
            )
            for row in rows
        ]

    return describe(lowest_rows), describe(highest_rows)


def factors_pca(factors: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Project rows onto their first two principal components; returns the coordinates and variance shares.

    Signs follow scikit-learn's convention (the largest coordinate of each axis is positive), so the map does
    not flip between two renderings of the same weights.
    """
    centred = factors.astype(np.float64) - factors.mean(axis=0, keepdims=True)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    coords = u[:, :2] * s[:2]
    if coords.shape[1] < 2:  # a single factor, or a single movie: pad so the map still has two axes
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    signs = np.sign(coords[np.abs(coords).argmax(axis=0), range(2)])
    coords = coords * np.where(signs == 0, 1.0, signs)
    variance = s**2
    total = float(variance.sum())
    shares = [float(v / total) if total else 0.0 for v in variance[:2]] + [0.0, 0.0]
    return coords, (shares[0], shares[1])


def most_rated_movies(*, model: FactorModel, n: int = MAP_MOVIES) -> list[tuple[int, str, int]]:
    """(movie id, title, rating count) of the n most rated movies that the model has factors for."""
    ranked = (
        Movie.objects.annotate(n_ratings=Count("ratings"))
        .filter(n_ratings__gt=0)
        .order_by("-n_ratings", "pk")
        .values_list("pk", "title", "n_ratings")
    )
    chosen: list[tuple[int, str, int]] = []
    for movie_id, title, n_ratings in ranked.iterator(chunk_size=200):
        if model.has_movie(movie_id):
            chosen.append((movie_id, title, n_ratings))
            if len(chosen) == n:
                break
    return chosen


def movie_factor_map(*, model: FactorModel, n: int = MAP_MOVIES) -> FactorMap:
    """A 2-D PCA map of the factors of the n most rated movies, as in chapter 8 of the fastai book."""
    movies = most_rated_movies(model=model, n=n)
    if not movies:
        return FactorMap(points=[], explained=(0.0, 0.0))
    rows = np.array([model.movie_index(movie_id) for movie_id, _, _ in movies])
    coords, explained = factors_pca(model.movie_factors[rows])
    points = [
        MapPoint(movie_id=movie_id, title=title, n_ratings=n_ratings, x=float(x), y=float(y))
        for (movie_id, title, n_ratings), (x, y) in zip(movies, coords, strict=True)
    ]
    return FactorMap(points=points, explained=explained)


def predicted_ratings_sample(
    *, model: FactorModel, max_pairs: int = PREDICTION_SAMPLE_PAIRS, seed: int = PREDICTION_SAMPLE_SEED
) -> np.ndarray:
    """Predictions of every user x movie pair, or of a fixed random sample of them when there are more."""
    n_users, n_movies = len(model.user_ids), len(model.movie_ids)
    if n_users * n_movies <= max_pairs:
        user_rows, movie_rows = (grid.ravel() for grid in np.meshgrid(np.arange(n_users), np.arange(n_movies)))
    else:
        rng = np.random.default_rng(seed)
        user_rows, movie_rows = rng.integers(n_users, size=max_pairs), rng.integers(n_movies, size=max_pairs)
    return np.asarray(model.predict_pairs(user_rows, movie_rows), dtype=np.float64)


def predicted_ratings_summary(*, model: FactorModel) -> PredictionSummary:
    predictions = predicted_ratings_sample(model=model)
    lo, hi = model.y_range
    counts, edges = np.histogram(predictions, bins=np.linspace(lo, hi, 23))
    p5, median, p95 = np.percentile(predictions, [5, 50, 95])
    return PredictionSummary(
        n_predictions=int(predictions.size),
        n_pairs=len(model.user_ids) * len(model.movie_ids),
        counts=[int(c) for c in counts],
        edges=[float(e) for e in edges],
        mean=float(predictions.mean()),
        p5=float(p5),
        median=float(median),
        p95=float(p95),
        share_4_plus=float((predictions >= 4.0).mean()),
    )


def rating_score_counts() -> dict[float, int]:
    """How many ratings the database holds at each score, for comparing with the predictions."""
    rows = Rating.objects.values_list("score").annotate(n=Count("id")).order_by("score")
    return {float(score): n for score, n in rows}


class UTCDate(TruncDate):
    """A timestamp's calendar day in UTC. On SQLite, Django's TruncDate calls a Python function for every row (1.5 s
    over 100,000 ratings); the timestamps are stored there as UTC text, which SQLite's own date() reads."""

    def __init__(self, expression: str) -> None:
        super().__init__(expression, tzinfo=dt.UTC)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object
    ) -> tuple[str, tuple[str | int, ...]]:
        sql, params = compiler.compile(self.lhs)
        return f"date({sql})", tuple(params)


def ratings_per_day(ratings: RatingQuerySet) -> DailyCounts:
    """Ratings per calendar day (UTC) of the given ratings, oldest day first."""
    rows = ratings.annotate(day=UTCDate("timestamp")).values_list("day").annotate(n=Count("id")).order_by("day")
    days, counts = [], []
    for day, n in rows:
        days.append(day)
        counts.append(n)
    return DailyCounts(days=days, counts=counts)


def ratings_count() -> int:
    """How many ratings there are, from the movies' counts that the database's triggers keep (ratings.rating_stats):
    exact, without counting the ratings table (seconds at 25 million)."""
    return int(Movie.objects.aggregate(n=Coalesce(Sum("rating_count"), 0))["n"])


def movielens_ratings_state(*, site_ratings: RatingQuerySet) -> int:
    """What changes when MovieLens raters' ratings do (an import, a rater deleted): their number. The key of their
    cached daily counts, which the site users' new ratings leave alone."""
    return ratings_count() - site_ratings.count()


def movielens_ratings_per_day(*, site_ratings: RatingQuerySet) -> DailyCounts:
    """Ratings per day of MovieLens raters: every rating's day counted once, less the site users' (one pass over
    the table, without joining each rating to its rater's profile)."""
    every, site = ratings_per_day(Rating.objects.all()), ratings_per_day(site_ratings)
    counts = dict(zip(every.days, every.counts, strict=True))
    for day, n in zip(site.days, site.counts, strict=True):
        counts[day] -= n
    days = [day for day in every.days if counts[day]]
    return DailyCounts(days=days, counts=[counts[day] for day in days])


@dataclass(frozen=True)
class DataOverview:
    n_users: int
    n_movielens_raters: int
    n_site_users: int
    n_site_raters: int
    n_movies: int
    n_ratings: int
    n_movielens_ratings: int
    active: ModelVersion | None
    ratings_since_active: int | None  # ratings dated after the active version finished training
    growth_since_active: int | None  # ratings now minus the ratings the active version saw

    @property
    def n_site_ratings(self) -> int:
        return self.n_ratings - self.n_movielens_ratings


def data_overview(*, site_ratings: RatingQuerySet) -> DataOverview:
    """The page's counts; ``site_ratings`` is ``Rating.objects.from_site_users()``, which the page reads once for all
    its counts."""
    users = get_user_model().objects
    n_users = users.count()
    n_movielens_raters = users.filter(profile__movielens_id__isnull=False).count()
    n_ratings = ratings_count()
    n_site_ratings = site_ratings.count()
    active = ModelVersion.objects.active().first()
    since = None
    if active is not None and active.finished_at is not None:
        since = Rating.objects.filter(timestamp__gt=active.finished_at).count()
    return DataOverview(
        n_users=n_users,
        n_movielens_raters=n_movielens_raters,
        n_site_users=n_users - n_movielens_raters,
        n_site_raters=site_ratings.values("user").distinct().count(),
        n_movies=Movie.objects.count(),
        n_ratings=n_ratings,
        n_movielens_ratings=n_ratings - n_site_ratings,
        active=active,
        ratings_since_active=since,
        growth_since_active=None if active is None else n_ratings - active.n_ratings,
    )
