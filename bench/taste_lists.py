"""The lists bench/taste.py measures, behind one small protocol: the site's list, the popularity list and EASE.

A ListMaker learns from training ratings (user, movie, rating, timestamp) and returns a FittedList, which answers
for one Person as the site would: a page of cards (movie ids best first, the stars shown, the rated movie that
explains each), the stars of any movies, and "more like this". The site's list calls ``recsys.lists`` on the model
that ``recsys.trainers.models_train`` (the Celery retrain) trains: the functions the web process serves with. A
variant is one more ListMaker: add it to LISTS and name it in ``--lists``, e.g. one that orders differently

    class Blended(FittedSite):
        def page(self, *, person, limit): ...  # self.taste(person), then an order of its own

    LISTS["blend"] = SiteList(label="blend", served_by=Blended)

or ``SiteList(label=..., ranking_params=RankingParams(other_weight=0.0))`` (``--ranking`` does that for "site").
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import pandas as pd
from taste_people import Person

from recsys.ease import EASE_L2, ease_reasons, ease_scores, ease_weights
from recsys.lists import Taste, list_order, list_ratings, list_reasons, similar_rows, user_taste
from recsys.params import ListParams, RankingParams, RatingParams
from recsys.ranking_model import LIKED_MIN_RATING
from recsys.rating_model import FactorModel
from recsys.trainers import models_train

NOTHING_KNOWN = "the person rated no movie the model knows: the site would show the popularity list"


@dataclass(frozen=True, eq=False)
class Page:
    movies: np.ndarray  # ids, best first, none that the person rated
    stars: np.ndarray  # the predicted rating on each card
    reasons: np.ndarray | None  # per card, the rated movie id that explains it; None when the list gives none


class FittedList(Protocol):
    def page(self, *, person: Person, limit: int) -> Page: ...

    def stars(self, *, person: Person, movies: np.ndarray) -> np.ndarray:
        """The stars the list would show the person for these movie ids."""
        ...

    def similar(self, *, movie: int, limit: int) -> np.ndarray:
        """ "More like this": movie ids, never ``movie`` itself."""
        ...


class ListMaker(Protocol):
    label: str

    def fit(self, *, train: pd.DataFrame) -> FittedList: ...


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The training movies (sorted ids) with their rating counts and mean ratings: all that the baselines know."""

    movie_ids: np.ndarray
    counts: np.ndarray
    means: np.ndarray

    @classmethod
    def of(cls, train: pd.DataFrame) -> "Catalogue":
        stats = train.groupby("movie")["rating"].agg(["size", "mean"]).sort_index()
        return cls(stats.index.to_numpy(np.int64), stats["size"].to_numpy(np.float64), stats["mean"].to_numpy())

    def rows(self, movies: np.ndarray) -> np.ndarray:
        """The rows of those of ``movies`` that training knows, in their order."""
        movies = np.asarray(movies, dtype=np.int64)
        return np.searchsorted(self.movie_ids, movies[np.isin(movies, self.movie_ids)])

    def ranked(self, *, scores: np.ndarray, exclude: np.ndarray, limit: int) -> np.ndarray:
        """Rows by score, ties by number of ratings (then id), never one of the rows ``exclude``."""
        candidates = np.setdiff1d(np.arange(len(self.movie_ids)), exclude)
        order = np.lexsort((candidates, -self.counts[candidates], -scores[candidates]))
        return candidates[order[:limit]]

    def stars(self, movies: np.ndarray) -> np.ndarray:
        """Each movie's mean training rating (NaN for a movie training never saw)."""
        rows = np.searchsorted(self.movie_ids, movies).clip(max=len(self.movie_ids) - 1)
        return np.where(self.movie_ids[rows] == movies, self.means[rows], np.nan)


@dataclass(frozen=True, eq=False)
class FittedSite:
    """The trained models served as ``recommender.services.recommendations`` serves them: a new person placed from
    their ratings (fold-in, the setting's default), a learned one by their learned vectors."""

    model: FactorModel

    def taste(self, person: Person, *, with_ranking: bool = True) -> Taste:
        model = self.model
        known = np.isin(person.movies, model.movie_ids)
        rows = np.array([model.movie_index(m) for m in person.movies[known]], dtype=np.int64)
        user_row = model.user_index(person.user) if person.user is not None and model.has_user(person.user) else None
        taste = user_taste(
            model=model,
            movie_rows=rows,
            scores=person.scores[known],
            times=person.times[known],
            user_row=user_row,
            learned=user_row is not None,
            with_ranking=with_ranking,
        )
        if taste is None:
            raise ValueError(NOTHING_KNOWN)
        return taste

    def page(self, *, person: Person, limit: int) -> Page:
        model, taste = self.model, self.taste(person)
        candidates = np.ones(len(model.movie_ids), dtype=bool)
        candidates[taste.rated_rows] = False
        rows = list_order(model=model, taste=taste, candidate_rows=np.flatnonzero(candidates))[:limit]
        reasons = list_reasons(model=model, taste=taste, movie_rows=rows)
        return Page(
            movies=model.movie_ids[rows],
            stars=list_ratings(model=model, taste=taste, movie_rows=rows),
            # -1 where the card names no reason (no liked movie is near enough to stand behind).
            reasons=np.where(reasons >= 0, model.movie_ids[reasons], -1) if len(reasons) else None,
        )

    def stars(self, *, person: Person, movies: np.ndarray) -> np.ndarray:
        rows = np.array([self.model.movie_index(m) for m in movies], dtype=np.int64)
        return list_ratings(model=self.model, taste=self.taste(person, with_ranking=False), movie_rows=rows)

    def similar(self, *, movie: int, limit: int) -> np.ndarray:
        rows = similar_rows(model=self.model, row=self.model.movie_index(movie), limit=limit)
        return self.model.movie_ids[rows]


@dataclass(frozen=True)
class SiteList:
    """The shipped list: the whole retrain on the training ratings (nothing held out: the benchmark's held-out
    people are the test), served by FittedSite."""

    label: str = "site's list"
    params: RatingParams = field(default_factory=lambda: replace(RatingParams(), valid_pct=0.0))
    ranking_params: RankingParams | None = None
    list_params: ListParams | None = None
    genres: Mapping[int, Sequence[str]] | None = None  # each movie's, as the retrain reads them from the catalogue
    served_by: type[FittedSite] = FittedSite  # a subclass serves the same trained models its own way

    def fit(self, *, train: pd.DataFrame) -> FittedSite:
        trained = models_train(
            ratings=train,
            params=self.params,
            ranking_params=self.ranking_params,
            list_params=self.list_params,
            genres=self.genres,
        )
        return self.served_by(model=trained.factors)


@dataclass(frozen=True, eq=False)
class FittedPopularity:
    """The most-rated movies the person has not rated, each shown with its mean rating; no reasons."""

    catalogue: Catalogue

    def page(self, *, person: Person, limit: int) -> Page:
        catalogue = self.catalogue
        rows = catalogue.ranked(scores=catalogue.counts, exclude=catalogue.rows(person.movies), limit=limit)
        return Page(movies=catalogue.movie_ids[rows], stars=catalogue.means[rows], reasons=None)

    def stars(self, *, person: Person, movies: np.ndarray) -> np.ndarray:
        return self.catalogue.stars(movies)

    def similar(self, *, movie: int, limit: int) -> np.ndarray:
        catalogue = self.catalogue
        return catalogue.movie_ids[
            catalogue.ranked(scores=catalogue.counts, exclude=catalogue.rows([movie]), limit=limit)
        ]


@dataclass(frozen=True)
class Popularity:
    label: str = "popularity"

    def fit(self, *, train: pd.DataFrame) -> FittedPopularity:
        return FittedPopularity(Catalogue.of(train))


@dataclass(frozen=True, eq=False)
class FittedEase:
    """EASE fed the person's ratings of 4 or more (all of them when none is, or with ``liked_only`` off), shown with
    each movie's mean rating, explained by the liked movie that adds most to the score; "more like this" is the list
    of a person who liked only that movie."""

    catalogue: Catalogue
    weights: np.ndarray
    l2: float
    liked_only: bool = True

    @classmethod
    def of(cls, train: pd.DataFrame, *, l2: float, liked_only: bool = True) -> "FittedEase":
        catalogue = Catalogue.of(train)
        _, users = np.unique(train["user"].to_numpy(np.int64), return_inverse=True)
        interactions = np.zeros((users.max() + 1, len(catalogue.movie_ids)))
        interactions[users, catalogue.rows(train["movie"].to_numpy(np.int64))] = 1.0
        return cls(catalogue, ease_weights(interactions=interactions, l2=l2), l2, liked_only)

    def _liked(self, person: Person) -> np.ndarray:
        known = np.isin(person.movies, self.catalogue.movie_ids)
        rows, scores = self.catalogue.rows(person.movies), person.scores[known]
        liked = rows[scores >= LIKED_MIN_RATING]
        return liked if len(liked) and self.liked_only else rows

    def page(self, *, person: Person, limit: int) -> Page:
        catalogue, liked = self.catalogue, self._liked(person)
        scores = ease_scores(weights=self.weights, movie_rows=liked)
        rows = catalogue.ranked(scores=scores, exclude=catalogue.rows(person.movies), limit=limit)
        reasons = ease_reasons(weights=self.weights, movie_rows=rows, liked_rows=liked)
        return Page(movies=catalogue.movie_ids[rows], stars=catalogue.means[rows], reasons=catalogue.movie_ids[reasons])

    def stars(self, *, person: Person, movies: np.ndarray) -> np.ndarray:
        return self.catalogue.stars(movies)

    def similar(self, *, movie: int, limit: int) -> np.ndarray:
        catalogue, rows = self.catalogue, self.catalogue.rows([movie])
        return catalogue.movie_ids[catalogue.ranked(scores=self.weights[rows[0]], exclude=rows, limit=limit)]


@dataclass(frozen=True)
class Ease:
    """EASE at a fixed l2. Tuned on new users' NDCG, l2 only grows: past 10,000 EASE turns into the popularity list
    (co-occurrence counts), which says what a person with a few ratings is best served by, not how EASE follows a
    taste. 500 is what a validation split of the Microsoft protocol picks (bench/taste_msr.py)."""

    label: str = "EASE"
    l2: float = EASE_L2

    def fit(self, *, train: pd.DataFrame) -> FittedEase:
        return FittedEase.of(train, l2=self.l2)


# The lists ``--lists`` can name; the baselines are measured in every run.
LISTS: dict[str, ListMaker] = {"site": SiteList(), "popularity": Popularity(), "ease": Ease()}
BASELINES = ("popularity", "ease")
