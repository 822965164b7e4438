"""The whole retrain (the rating model, then the ranking model on the same ratings), its export, and the trainers
that the evaluation protocol runs: the site's list, the rating model alone, the popularity baseline.

Imports torch and fastai through the training modules.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from fastai.learner import Learner

from recsys.cold_start import ColdStart, artifact_form
from recsys.evaluation import Recommender, Trainer, evaluation_measure
from recsys.implicit_feedback import signals_unrated
from recsys.params import ListParams, RankingParams, RatingParams
from recsys.rating_model import FactorModel
from recsys.recommenders import FactorRecommender, PopularityRecommender, SiteListRecommender
from recsys.signals import signals_fit
from recsys.train_ranking import ranking_train
from recsys.train_rating import LEARNER_FILE, EpochLoss, rating_train

ARTIFACT_UNSERVABLE = "the trained model cannot be served: {problems}"
# The version's list is measured for at most this many held-out users, drawn at random: the site's list is built
# one user at a time (recsys.lists), about 20 ms each at ml-25m's shape, so all 162,000 would take most of an
# hour; ml-1m's 6,040 are all measured. NDCG@10 over 5,000 users has a standard error of about 0.004.
VALIDATION_RANKED_USERS = 5_000


class ExportError(Exception):
    """The trained model fails the artifact's own check: nothing is exported."""


@dataclass(frozen=True, eq=False)
class TrainedModel:
    params: RatingParams
    learner: Learner  # the rating model's
    # The serving form: the rating model, its training ratings (the classic cold start's, and the evaluation's;
    # exported only where the cold start needs them) and users' fingerprints, and the ranking model.
    factors: FactorModel
    epoch_losses: list[EpochLoss]  # the rating model's
    train_seconds: float  # both models: data loaders, model and fit
    train: pd.DataFrame  # the ratings learned from: user, movie, rating, timestamp
    valid: pd.DataFrame  # the held-out ratings (empty when valid_pct is 0)
    # On the held-out ratings, per recsys.evaluation, the list's metrics those of the list the site serves; empty
    # without them. Plus ranking_seconds.
    metrics: dict[str, float | int | None]


def models_train(
    *,
    ratings: pd.DataFrame,
    params: RatingParams,
    ranking_params: RankingParams | None = None,
    list_params: ListParams | None = None,
    genres: Mapping[int, Sequence[str]] | None = None,
    implicit: pd.DataFrame | None = None,
    progress: bool = False,
    path: Path | None = None,
) -> TrainedModel:
    """The rating model on ``ratings`` (user, movie, rating, timestamp), then the ranking model and the list's
    signals (with each movie's ``genres``, by movie id) on the same training ratings, so that the served list is
    measured on the same held-out ones. The ranking model learns from the ``implicit`` signals too (user, movie,
    signal: recsys.implicit_feedback), those of movies rated nowhere in ``ratings``: a held-out rating's movie
    never enters through its click."""
    rating = rating_train(ratings=ratings, params=params, progress=progress, path=path)
    started = time.perf_counter()
    unrated = None if implicit is None else signals_unrated(signals=implicit, ratings=ratings)
    ranking = ranking_train(
        ratings=rating.train, params=ranking_params, seed=params.seed, implicit=unrated, progress=progress
    ).aligned(user_ids=rating.factors.user_ids, movie_ids=rating.factors.movie_ids)
    signals = signals_fit(ratings=rating.train, movie_ids=rating.factors.movie_ids, genres=genres)
    ranking_seconds = time.perf_counter() - started
    factors = replace(rating.factors, ranking=ranking, signals=signals, list_params=list_params or ListParams())
    metrics: dict[str, float | int | None] = {"ranking_seconds": ranking_seconds}
    if len(rating.valid):
        recommender = SiteListRecommender(factors)
        measured = evaluation_measure(
            train=rating.train,
            test=rating.valid,
            recommender=recommender,
            max_ranked_users=VALIDATION_RANKED_USERS,
            seed=params.seed,
        )
        metrics.update(measured.metrics)
    return TrainedModel(
        params=params,
        learner=rating.learner,
        factors=factors,
        epoch_losses=rating.epoch_losses,
        train_seconds=rating.train_seconds + ranking_seconds,
        train=rating.train,
        valid=rating.valid,
        metrics=metrics,
    )


def models_export(*, trained: TrainedModel, directory: Path, cold_start: ColdStart = ColdStart.FOLD_IN) -> list[Path]:
    """Write ``learner.pkl`` (fastai's ``load_learner`` reads it) and the serving arrays; returns the files.

    The serving arrays carry the training ratings only where placing users by ``cold_start`` reads them (the
    classic way, or any ``nn`` model); every user's fingerprint of them, always. Refuses (ExportError) a model
    that the artifact's check would refuse to serve.
    """
    factors = artifact_form(model=trained.factors, method=cold_start)
    problems = factors.problems()
    if problems:
        raise ExportError(ARTIFACT_UNSERVABLE.format(problems="; ".join(problems)))
    learner = trained.learner
    learner.path = directory
    learner.export(LEARNER_FILE)
    return [directory / LEARNER_FILE, *factors.save(directory)]


def fastai_trainer(*, params: RatingParams) -> Trainer:
    """The rating model alone, ranking by predicted rating, learning from every given rating (the protocol's test
    file is the held-out set)."""

    def train(ratings: pd.DataFrame) -> Recommender:
        return FactorRecommender(rating_train(ratings=ratings, params=replace(params, valid_pct=0.0)).factors)

    return train


def ranked_trainer(
    *,
    params: RatingParams | None = None,
    ranking_params: RankingParams | None = None,
    list_params: ListParams | None = None,
    genres: Mapping[int, Sequence[str]] | None = None,
    implicit: pd.DataFrame | None = None,
) -> Trainer:
    """The site's list, trained as the retrain trains it, on every given rating (and the ``implicit`` signals)."""
    params = replace(params or RatingParams(), valid_pct=0.0)

    def train(ratings: pd.DataFrame) -> SiteListRecommender:
        trained = models_train(
            ratings=ratings,
            params=params,
            ranking_params=ranking_params,
            list_params=list_params,
            genres=genres,
            implicit=implicit,
        )
        return SiteListRecommender(trained.factors)

    return train


def popularity_trainer() -> Trainer:
    """The baseline every learned model must beat."""
    return PopularityRecommender.from_ratings
