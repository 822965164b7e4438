"""Who bench/taste.py asks, and the yardstick no model owns: held-out MovieLens users, personas, co-rating cosine.

Held-out users come from two fixed, disjoint pools of the users with at least ELIGIBLE_MIN_RATINGS ratings: the
test pool, which the benchmark's figures are measured on, and the validation pool, for tuning (``--validation``):
tuning never measures a test user. A seed draws the held-out users of its run from one pool.
"""

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recsys.metrics import RELEVANT_MIN_RATING

ELIGIBLE_MIN_RATINGS = 40
# The pools are drawn once, whatever the seeds: a user is a test user or a validation user for good.
PARTITION_SEED = 13
TEST_POOL = 300
# Personas: eight (loved, hated) genre pairs. Each loved genre has at least 18 movies with 100 ratings or more that
# are not of the hated one (6 to rate, 12 more to fill 60% of a top 20), so the goal can be reached; Western (8) and
# Animation (14) cannot, and are left out.
GENRE_PAIRS = (
    ("Sci-Fi", "Romance"),
    ("Horror", "Children's"),
    ("Action", "Drama"),
    ("Comedy", "Thriller"),
    ("Romance", "Horror"),
    ("War", "Comedy"),
    ("Crime", "Children's"),
    ("Drama", "Action"),
)
PERSONA_MOVIES = 6  # loved at 5 stars, and as many hated at 1 star
WELL_KNOWN = 12  # a persona's movies are drawn from the 12 most rated of the genre that are not of the other one
MINUTE = 60


@dataclass(frozen=True, eq=False)
class Person:
    """One person's ratings as the site holds them. ``user``: their id in the training ratings, set only when a
    retrain learned exactly these ratings (the site then serves their learned vectors)."""

    movies: np.ndarray  # movie ids
    scores: np.ndarray  # stars
    times: np.ndarray  # Unix seconds
    user: int | None = None

    def rescored(self, *, movie: int, score: float) -> "Person":
        """The same person after changing their rating of ``movie`` (a retrain has not seen it yet)."""
        return replace(self, scores=np.where(self.movies == movie, score, self.scores), user=None)


@dataclass(frozen=True, eq=False)
class Persona:
    loved: str
    hated: str
    person: Person


def person_of(ratings: pd.DataFrame, *, user: int | None = None) -> Person:
    """A person from one user's ratings (movie, rating, timestamp), oldest first."""
    ordered = ratings.sort_values(["timestamp", "movie"], kind="stable")
    return Person(
        movies=ordered["movie"].to_numpy(np.int64),
        scores=ordered["rating"].to_numpy(np.float64),
        times=ordered["timestamp"].to_numpy(np.int64),
        user=user,
    )


def user_pools(*, ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The test pool and the validation pool: the eligible users, shuffled once, split at TEST_POOL."""
    sizes = ratings.groupby("user").size()
    eligible = np.sort(sizes.index[sizes >= ELIGIBLE_MIN_RATINGS].to_numpy(np.int64))
    shuffled = np.random.default_rng(PARTITION_SEED).permutation(eligible)
    return shuffled[:TEST_POOL], shuffled[TEST_POOL:]


def users_draw(*, pool: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` users of ``pool``, in a seeded random order (the first ones double as the retrain's learned users)."""
    return np.random.default_rng(seed).permutation(pool)[:n]


def first_ratings(person: Person, *, n: int) -> tuple[Person, set[int]]:
    """The person as a new account with their first ``n`` ratings, and the later movies they rated 4 or more."""
    later = set(person.movies[n:][person.scores[n:] >= RELEVANT_MIN_RATING].tolist())
    return Person(movies=person.movies[:n], scores=person.scores[:n], times=person.times[:n]), later


def personas_make(*, train: pd.DataFrame, genres: pd.Series, per_pair: int, seed: int) -> list[Persona]:
    """``per_pair`` new accounts per genre pair, each with PERSONA_MOVIES well-known movies of the loved genre (not
    of the hated one) at 5 stars and as many of the hated genre (not of the loved one) at 1, in a seeded random
    order a minute apart, after the last training rating."""
    rng = np.random.default_rng(seed)
    by_count = train["movie"].value_counts().index.to_numpy(np.int64)
    start = int(train["timestamp"].max()) + MINUTE
    personas = []
    for loved, hated in GENRE_PAIRS:
        only = {
            (a, b): [m for m in by_count if a in genres[m] and b not in genres[m]][:WELL_KNOWN]
            for a, b in ((loved, hated), (hated, loved))
        }
        for _ in range(per_pair):
            picks = [rng.choice(only[pair], PERSONA_MOVIES, replace=False) for pair in only]
            movies = np.concatenate(picks)
            scores = np.repeat([5.0, 1.0], PERSONA_MOVIES)
            order = rng.permutation(len(movies))
            times = start + MINUTE * np.arange(len(movies))
            personas.append(Persona(loved, hated, Person(movies=movies[order], scores=scores[order], times=times)))
    return personas


@dataclass(frozen=True, eq=False)
class CoRatings:
    """Cosine of the movies' columns of the training rating matrix (stars, 0 where not rated): which movies the same
    people rate alike, measured without any of the models under test."""

    movie_ids: np.ndarray  # sorted
    similarity: np.ndarray  # [movies, movies], the diagonal -inf: a movie is never its own neighbour

    @classmethod
    def of(cls, train: pd.DataFrame) -> "CoRatings":
        movie_ids, columns = np.unique(train["movie"].to_numpy(np.int64), return_inverse=True)
        _, rows = np.unique(train["user"].to_numpy(np.int64), return_inverse=True)
        matrix = np.zeros((rows.max() + 1, len(movie_ids)))
        matrix[rows, columns] = train["rating"].to_numpy(np.float64)
        norms = np.linalg.norm(matrix, axis=0)
        similarity = (matrix.T @ matrix) / np.outer(norms, norms)
        np.fill_diagonal(similarity, -np.inf)
        return cls(movie_ids=movie_ids, similarity=similarity)

    def nearest(self, *, movie: int, limit: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """The ``limit`` movie ids most similar to ``movie``, never one of ``exclude``."""
        similarity = self.similarity[np.searchsorted(self.movie_ids, movie)].copy()
        if exclude is not None:
            similarity[np.searchsorted(self.movie_ids, exclude[np.isin(exclude, self.movie_ids)])] = -np.inf
        return self.movie_ids[np.argsort(-similarity, kind="stable")[:limit]]


# Dislikes: movies with many ratings whose 5 stars a held-out user turns into 1.
FLIP_MOVIES = (50, 1, 100, 56, 181, 258)  # Star Wars, Toy Story, Fargo, Pulp Fiction, Return of the Jedi, Contact
FLIP_PEOPLE = 20  # held-out users per flipped movie, at most
FLIP_HISTORY = 20  # the flipped movie and the user's earliest other ratings: a site user with a modest history
GIVEN = (5, 10, 20)
LEARNED_USERS = 50
LEARNED_GIVEN = 20  # a site user who rated 20 movies, placed by fold-in until a retrain learns them


@dataclass(frozen=True, eq=False)
class People:
    """Everyone one seed's run asks, drawn from its held-out users (``held_out``) and its training ratings."""

    personas: list[Persona]
    newcomers: dict[int, list[tuple[Person, set[int]]]]  # by N: a held-out user's first N ratings, later liked movies
    flips: list[tuple[int, Person]]  # a flipped movie and a held-out user who rated it 5 (FLIP_HISTORY ratings)
    # LEARNED_USERS held-out users' first LEARNED_GIVEN ratings, ``user`` set: the second training learns them.
    learned: list[Person]
    stayers: list[Person]  # as many training users, learned by both trainings: the retrain's own noise

    def learned_ratings(self) -> pd.DataFrame:
        """The learned users' ratings, as a retrain that learns them reads them."""
        return pd.DataFrame(
            {
                "user": np.concatenate([np.full(len(p.movies), p.user) for p in self.learned]),
                "movie": np.concatenate([p.movies for p in self.learned]),
                "rating": np.concatenate([p.scores for p in self.learned]),
                "timestamp": np.concatenate([p.times for p in self.learned]),
            }
        )

    @classmethod
    def gather(
        cls,
        *,
        ratings: pd.DataFrame,
        train: pd.DataFrame,
        held_out: np.ndarray,
        genres: pd.Series,
        per_pair: int,
        seed: int,
    ) -> "People":
        """Personas for the seed, and the held-out users (``ratings`` has all of theirs) as newcomers, fans whose 5
        is flipped and users a retrain learns; training users that both trainings learn from ``train``."""
        by_user = {
            int(u): person_of(group, user=int(u))
            for u, group in ratings[ratings["user"].isin(held_out)].groupby("user")
        }
        held = [by_user[int(u)] for u in held_out]
        newcomers = {n: [first_ratings(person, n=n) for person in held] for n in GIVEN}
        flips = []
        for movie in FLIP_MOVIES:
            fans = [p for p in held if np.any((p.movies == movie) & (p.scores == 5.0))][:FLIP_PEOPLE]
            for fan in fans:
                keep = np.flatnonzero(fan.movies != movie)[: FLIP_HISTORY - 1]
                keep = np.sort(np.r_[keep, np.flatnonzero(fan.movies == movie)])
                flips.append((movie, Person(movies=fan.movies[keep], scores=fan.scores[keep], times=fan.times[keep])))
        trained = np.unique(train["user"].to_numpy(np.int64))
        stayers = users_draw(pool=trained, n=LEARNED_USERS, seed=seed)
        return cls(
            personas=personas_make(train=train, genres=genres, per_pair=per_pair, seed=seed),
            newcomers=newcomers,
            flips=flips,
            learned=[replace(first_ratings(p, n=LEARNED_GIVEN)[0], user=p.user) for p in held[:LEARNED_USERS]],
            stayers=[person_of(group, user=int(u)) for u, group in train[train["user"].isin(stayers)].groupby("user")],
        )
