"""Synthetic MovieLens data in the ml-25m CSV layout (movies.csv, ratings.csv, links.csv, tags.csv), shaped like the
real thing, for measuring the site at sizes GroupLens cannot be downloaded at here.

The shape follows what is known of MovieLens (Harper and Konstan, TiiS 2015): movie popularity is long-tailed
(log-normal), activity per user is log-normal with at least 20 ratings each, scores are half stars from a
low-rank model (user and movie biases plus a dot product of a few factors) with noise, genres follow the movie's
strongest factor so that genre taste means something, and timestamps spread over years with each user active over a
window of their own. Everything is drawn from one seed: the same call writes the same files.
"""

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "IMAX",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
MIN_RATINGS_PER_USER = 20
FACTORS = 8
# Split at import: a literal of the same words is one over-long line or fifty short ones.
TITLE_WORDS = (  # noqa: SIM905
    "Night Summer River Last Secret Lost City Dark Blue Road Winter Heart Stone Star King Queen Shadow Fire Ghost "
    "Dream Island Garden Silent Wild Iron Glass Golden Broken Hidden Final Second Long Little Big Red White Black "
    "Song Journey Return House Game Storm Light Ocean Mountain Edge Door Mirror Letter Train Empire Harbor Wolf"
).split()
TAGS = ("atmospheric", "twist ending", "classic", "funny", "slow", "visually stunning", "based on a book", "dark")
CHUNK_RATINGS = 1_000_000
WHOLE_STAR_SHARE = 0.6
DRAW_ROUNDS = 6
# Log-normal popularity: a few movies rated by most people, a long tail rated by a handful (ml-1m: the most rated
# movie by 57% of raters, the median by 2%).
POPULARITY_SIGMA = 1.7


@dataclass(frozen=True)
class SyntheticShape:
    """How many ratings, users and movies; the named sizes match the real MovieLens releases."""

    ratings: int
    users: int
    movies: int

    @classmethod
    def named(cls, name: str) -> "SyntheticShape":
        try:
            return SIZES[name]
        except KeyError:
            raise ValueError(f"unknown size {name!r}: one of {', '.join(SIZES)}") from None

    def __post_init__(self) -> None:
        if self.users < 1 or self.movies < MIN_RATINGS_PER_USER:
            raise ValueError(f"need at least one user and {MIN_RATINGS_PER_USER} movies, not {self}")
        if self.ratings < self.users * MIN_RATINGS_PER_USER:
            raise ValueError(f"{self.ratings} ratings cannot give {self.users} users {MIN_RATINGS_PER_USER} each")
        if self.ratings > self.users * self.movies // 2:
            raise ValueError(f"{self.ratings} ratings would fill more than half of {self.users} x {self.movies}")


SIZES = {
    "100k": SyntheticShape(ratings=100_000, users=943, movies=1_682),
    "1m": SyntheticShape(ratings=1_000_209, users=6_040, movies=3_706),
    "10m": SyntheticShape(ratings=10_000_054, users=69_878, movies=10_677),
    "25m": SyntheticShape(ratings=25_000_095, users=162_541, movies=59_047),
}


@dataclass(frozen=True)
class SyntheticSummary:
    folder: Path
    ratings: int
    users: int
    movies: int


def movielens_synthesize(
    *, folder: Path, shape: SyntheticShape, seed: int = 0, progress: Callable[[int, int], None] | None = None
) -> SyntheticSummary:
    """Write the four CSV files into ``folder`` (created); ``progress(written, total)`` after each chunk of ratings."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    movie_factors = rng.normal(0.0, 1.0, (shape.movies, FACTORS)) / math.sqrt(FACTORS)
    movie_bias = rng.normal(0.0, 0.45, shape.movies)
    user_factors = rng.normal(0.0, 1.0, (shape.users, FACTORS)) / math.sqrt(FACTORS)
    user_bias = rng.normal(0.0, 0.35, shape.users)
    # Popular movies are liked a little more than obscure ones, as in MovieLens.
    popularity = rng.lognormal(0.0, POPULARITY_SIGMA, shape.movies)
    movie_bias += 0.25 * (np.log(popularity) - np.log(popularity).mean()) / np.log(popularity).std()
    years = _movie_years(rng, shape.movies)

    _write_movies(folder, rng, movie_factors, years)
    _write_links(folder, shape.movies)
    per_user = _ratings_per_user(rng, shape)
    written = _write_ratings(
        folder,
        rng,
        per_user=per_user,
        popularity=popularity / popularity.sum(),
        scores=lambda users, movies: _scores(rng, users, movies, user_factors, user_bias, movie_factors, movie_bias),
        years=years,
        progress=progress,
    )
    _write_tags(folder, rng, shape)
    return SyntheticSummary(folder=folder, ratings=written, users=shape.users, movies=shape.movies)


def _movie_years(rng: np.random.Generator, movies: int) -> np.ndarray:
    # Most of the catalogue is recent, with a long tail back to the silent era; none after the last rating (2019).
    return np.clip(np.rint(2019 - rng.gamma(2.0, 9.0, movies)), 1902, 2019).astype(np.int64)


def _write_movies(folder: Path, rng: np.random.Generator, factors: np.ndarray, years: np.ndarray) -> None:
    genre_of_factor = rng.permutation(len(GENRES))[:FACTORS]
    with open(folder / "movies.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["movieId", "title", "genres"])
        for index in range(len(factors)):
            strongest = np.argsort(-factors[index])
            first = GENRES[genre_of_factor[strongest[0]]]
            extra = rng.choice(len(GENRES), size=int(rng.integers(0, 3)), replace=False)
            genres = dict.fromkeys([first, *(GENRES[g] for g in extra)])
            words = rng.choice(TITLE_WORDS, size=int(rng.integers(1, 4)), replace=False)
            title = f"{' '.join(words)} {index + 1} ({years[index]})"
            writer.writerow([index + 1, title, "|".join(genres)])


def _write_links(folder: Path, movies: int) -> None:
    with open(folder / "links.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["movieId", "imdbId", "tmdbId"])
        writer.writerows((index, f"{100000 + index:07d}", 500000 + index) for index in range(1, movies + 1))


def _ratings_per_user(rng: np.random.Generator, shape: SyntheticShape) -> np.ndarray:
    """Log-normal activity, at least MIN_RATINGS_PER_USER each and at most half the catalogue, summing to the total."""
    cap = shape.movies // 2
    raw = rng.lognormal(0.0, 1.1, shape.users)
    spare = shape.ratings - MIN_RATINGS_PER_USER * shape.users
    counts = MIN_RATINGS_PER_USER + np.floor(raw / raw.sum() * spare).astype(np.int64)
    counts = np.minimum(counts, cap)
    # Rounding and the cap leave a remainder; hand it out one by one to users below the cap.
    short = shape.ratings - int(counts.sum())
    while short > 0:
        room = np.flatnonzero(counts < cap)
        chosen = rng.choice(room, size=min(short, len(room)), replace=False)
        counts[chosen] += 1
        short -= len(chosen)
    return counts


def _scores(
    rng: np.random.Generator,
    users: np.ndarray,
    movies: np.ndarray,
    user_factors: np.ndarray,
    user_bias: np.ndarray,
    movie_factors: np.ndarray,
    movie_bias: np.ndarray,
) -> np.ndarray:
    affinity = np.einsum("ij,ij->i", user_factors[users], movie_factors[movies]) * 1.5
    raw = 3.35 + user_bias[users] + movie_bias[movies] + affinity + rng.normal(0.0, 0.6, len(users))
    # Most people give whole stars (ml-25m: 4.0 is 27% of ratings, 4.5 is 9%): some ratings round to a whole star.
    whole = rng.uniform(0, 1, len(users)) < WHOLE_STAR_SHARE
    stars = np.where(whole, np.floor(raw + 0.5), np.rint(raw * 2) / 2)
    return np.clip(stars, np.where(whole, 1.0, 0.5), 5.0)


def _write_ratings(
    folder: Path,
    rng: np.random.Generator,
    *,
    per_user: np.ndarray,
    popularity: np.ndarray,
    scores: Callable[[np.ndarray, np.ndarray], np.ndarray],
    years: np.ndarray,
    progress: Callable[[int, int], None] | None,
) -> int:
    total = int(per_user.sum())
    cumulative = np.cumsum(popularity)
    first_second = 789_652_009  # the first timestamp of ml-25m (1995)
    last_second = 1_574_327_703  # its last (2019)
    written = 0
    with open(folder / "ratings.csv", "w", encoding="utf-8") as handle:
        handle.write("userId,movieId,rating,timestamp\n")
        start = 0
        while start < len(per_user):
            # Whole users per chunk, about CHUNK_RATINGS ratings each, so memory stays flat at any size.
            stop = int(np.searchsorted(np.cumsum(per_user[start:]), CHUNK_RATINGS)) + start + 1
            stop = min(stop, len(per_user))
            users, movies = _distinct_draws(rng, np.arange(start, stop), per_user[start:stop], cumulative)
            values = scores(users, movies)
            begin = rng.uniform(first_second, last_second, stop - start)
            span = rng.exponential(3.0e7, stop - start)
            released = (years[movies] - 1970) * 31_557_600.0
            times = begin[users - start] + rng.uniform(0, 1, len(users)) * span[users - start]
            # Nobody rates a movie before its release: such a rating moves to a time between release and the end.
            early = times < released
            times[early] = released[early] + rng.uniform(0, 1, int(early.sum())) * (last_second - released[early])
            times = np.clip(times, first_second, last_second).astype(np.int64)
            order = np.lexsort((times, users))
            block = np.column_stack((users[order] + 1, movies[order] + 1))
            lines = [
                f"{user},{movie},{score:g},{second}\n"
                for (user, movie), score, second in zip(
                    block.tolist(), values[order].tolist(), times[order].tolist(), strict=True
                )
            ]
            handle.writelines(lines)
            written += len(lines)
            start = stop
            if progress is not None:
                progress(written, total)
    return written


def _distinct_draws(
    rng: np.random.Generator, users: np.ndarray, counts: np.ndarray, cumulative: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each user (consecutive ids), ``counts`` distinct movies drawn by popularity: draws with replacement,
    duplicates dropped and the missing ones drawn again, a few rounds; whoever is still short (a heavy user among the
    most popular movies) gets the rest uniformly among the movies they have not drawn. Sorted by user, then movie."""
    movies_count = len(cumulative)
    keys = np.empty(0, dtype=np.int64)
    need_users, need_counts = users, counts
    for _ in range(DRAW_ROUNDS):
        draws = np.searchsorted(cumulative, rng.uniform(0, cumulative[-1], int(need_counts.sum())))
        new = np.repeat(need_users, need_counts) * movies_count + np.minimum(draws, movies_count - 1)
        keys = _distinct(np.concatenate((keys, new)))
        missing = counts - np.bincount(keys // movies_count - users[0], minlength=len(users))
        if not missing.any():
            return keys // movies_count, keys % movies_count
        need_users, need_counts = users[missing > 0], missing[missing > 0]
    fill = []
    for user, short in zip(need_users.tolist(), need_counts.tolist(), strict=True):
        low, high = np.searchsorted(keys, [user * movies_count, (user + 1) * movies_count])
        unseen = np.setdiff1d(np.arange(movies_count), keys[low:high] - user * movies_count, assume_unique=True)
        fill.append(user * movies_count + rng.choice(unseen, size=short, replace=False))
    keys = np.sort(np.concatenate((keys, *fill)))
    return keys // movies_count, keys % movies_count


def _distinct(keys: np.ndarray) -> np.ndarray:
    # Sorting and comparing neighbours: numpy's hashing np.unique took a second a call on a million keys.
    keys = np.sort(keys)
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


def _write_tags(folder: Path, rng: np.random.Generator, shape: SyntheticShape) -> None:
    count = max(1, shape.ratings // 100)
    users = rng.integers(1, shape.users + 1, count)
    movies = rng.integers(1, shape.movies + 1, count)
    tags = rng.integers(0, len(TAGS), count)
    times = rng.integers(1_137_000_000, 1_574_327_703, count)
    with open(folder / "tags.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "tag", "timestamp"])
        writer.writerows(
            zip(users.tolist(), movies.tolist(), (TAGS[t] for t in tags.tolist()), times.tolist(), strict=True)
        )
