"""Request and response shapes of the API; django-ninja turns them into the OpenAPI schema."""

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Path, Query, Schema
from pydantic import Field, field_validator

from ratings.models import MAX_SCORE, MIN_SCORE, Movie, MovieMark, Rating
from ratings.selectors import TOP_TAGS, TagCount, movie_top_tags

# A primary key in a path: bounded like the database's 64-bit keys, so a huge number is a 422, not a query.
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
# The list a rating or mark was made from (its `shown_list` in GET /api/me/recommendations): malformed, a 422; one
# that is not a list shown to you holding the movie (expired, another's), the write is done and not attributed.
ShownList = Annotated[
    uuid.UUID | None,
    Query(
        None,
        description="The `shown_list` of the recommendations this movie was chosen from, to count it as their "
        "follow-up; ignored when it is not a list shown to you that holds the movie (lists expire)",
    ),
]


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in words")


# Authentication ------------------------------------------------------------------------------------------------------
NULL_CHARACTER = "null characters are not allowed"


def no_null_character(value: str) -> str:
    # PostgreSQL cannot store or compare text with NUL: django-axes would fail on the login attempt it records.
    if "\x00" in value:
        raise ValueError(NULL_CHARACTER)
    return value


class CredentialsIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)

    _no_null_character = field_validator("username", "password")(no_null_character)


class TokenOut(Schema):
    token: str = Field(description="Send it as `Authorization: Bearer <token>`; it is shown only once")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme name, not a secret)
    expires_at: dt.datetime
    username: str


# Catalogue -----------------------------------------------------------------------------------------------------------
class GenreOut(Schema):
    slug: str
    name: str


class MovieOut(Schema):
    id: int
    title: str = Field(description='As people say it: "The Shawshank Redemption"')
    year: int | None
    genres: list[GenreOut]

    @staticmethod
    def resolve_title(movie: Movie) -> str:
        return movie.display_title


class TagCountOut(Schema):
    tag: str = Field(description="A free-text tag MovieLens raters gave the movie")
    count: int = Field(description="How many of them gave it")


class MovieDetailOut(MovieOut):
    release_date: dt.date | None
    imdb_url: str | None = Field(
        description="The movie's IMDb page: an absolute http(s) URL, or null when none is known"
    )
    rating_count: int
    rating_mean: float | None
    tags: list[TagCountOut] = Field(description=f"Up to {TOP_TAGS} tags, those most raters gave the movie, most first")

    @staticmethod
    def resolve_imdb_url(movie: Movie) -> str | None:
        # The stored URL passes the same check as the movie page's link (Movie.imdb_link): a client that makes a
        # link of it must never be handed javascript: or data:, whatever was written to the database.
        return movie.imdb_link or None

    @staticmethod
    def resolve_tags(movie: Movie) -> list[TagCount]:
        return movie_top_tags(movie=movie)


class MoviePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MovieOut]


# Ratings -------------------------------------------------------------------------------------------------------------
class RatingIn(Schema):
    # strict: a JSON number only; pydantic would otherwise read true as 1 star and "4" as 4.
    rating: float = Field(strict=True, ge=MIN_SCORE, le=MAX_SCORE, multiple_of=0.5, description="Half stars, 0.5 to 5")


class RatingOut(Schema):
    movie: MovieOut
    rating: float
    timestamp: dt.datetime

    @staticmethod
    def resolve_rating(rating: Rating) -> float:
        return rating.score


class RatingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RatingOut]


# Watchlist and hidden movies ------------------------------------------------------------------------------------------
class MarkOut(Schema):
    movie: MovieOut
    marked_at: dt.datetime = Field(description="When the movie was put on this list")

    @staticmethod
    def resolve_marked_at(entry: MovieMark) -> dt.datetime:
        return entry.created_at


class MarkPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MarkOut]


# Your data -----------------------------------------------------------------------------------------------------------
class ExportMovie(Schema):
    movie_id: int
    movielens_id: int | None
    title: str
    year: int | None


class ExportRating(ExportMovie):
    rating: float
    rated_at: dt.datetime


class ExportWatchlist(ExportMovie):
    added_at: dt.datetime


class ExportHidden(ExportMovie):
    hidden_at: dt.datetime


class ExportShownMovie(ExportMovie):
    position: int


class ExportShownList(Schema):
    id: uuid.UUID
    kind: str = Field(description="Where it was shown: `home`, `onboarding`, `similar`, `api_recommendations`, ...")
    model_version: int | None = Field(description="The model version whose list it was; null for popularity")
    shown_at: dt.datetime
    movies: list[ExportShownMovie]


class ExportFollowUp(ExportMovie):
    shown_list: uuid.UUID
    position: int
    action: str = Field(description="`opened`, `rated`, `watchlisted` or `hidden`")
    rating: float | None
    at: dt.datetime


class ExportOut(Schema):
    ratings: list[ExportRating]
    watchlist: list[ExportWatchlist]
    hidden: list[ExportHidden]
    lists_shown: list[ExportShownList]
    list_follow_ups: list[ExportFollowUp]


class AccountDeleteIn(Schema):
    password: str = Field(min_length=1, max_length=4096, description="Your password, to confirm")

    _no_null_character = field_validator("password")(no_null_character)


# Recommendations -----------------------------------------------------------------------------------------------------
class MovieRef(Schema):
    id: int
    title: str
    year: int | None

    @staticmethod
    def resolve_title(movie: Movie) -> str:
        return movie.display_title


class ModelVersionRef(Schema):
    id: int
    algorithm: str
    activated_at: dt.datetime | None


class RecommendationOut(Schema):
    movie: MovieOut
    predicted_rating: float | None = Field(description="The model's predicted rating; null for the fallback")
    reason: MovieRef | None = Field(
        description="The movie you liked that this one is nearest to by co-ratings; null when none is near enough"
    )
    reason_score: float | None
    reason_genre: str | None = Field(
        None, description="Without a near movie: the genre of this one that you like; null when none stands out"
    )


class RecommendationsOut(Schema):
    source: Literal["model", "popularity"] = Field(
        description="`model`: personal predictions of `model_version`; `popularity`: the fallback list"
    )
    fallback_reason: str | None = Field(description="Why the fallback: `anonymous`, `no_model` or `no_ratings`")
    model_version: ModelVersionRef | None
    total: int
    items: list[RecommendationOut]
    shown_list: uuid.UUID | None = Field(
        description="This list's id: send it as `shown_list` with a rating or a mark of one of its movies"
    )


# Model registry ------------------------------------------------------------------------------------------------------
class ModelVersionOut(Schema):
    id: int
    algorithm: str
    status: str
    hyperparameters: dict
    n_ratings: int
    n_users: int
    n_movies: int
    metrics: dict
    training_seconds: float | None
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    activated_at: dt.datetime | None


class RetrainOut(Schema):
    task_id: str


class OnlineCountsOut(Schema):
    lists: int = Field(description="Recommendation lists of the version shown to signed-in people")
    opened: int = Field(description="Lists in which a movie of the first 10 was opened from the list")
    rated: int = Field(description="Lists in which a movie of the first 10 was rated from the list")
    liked: int = Field(description="Lists in which a movie of the first 10 was rated 4 stars or more")
    watchlisted: int = Field(description="Lists in which a movie of the first 10 was put on the watchlist")
    hidden: int = Field(description="Lists in which a movie of the first 10 was hidden (not interested)")
    watchlist_adds: int = Field(description="Movies of the lists' first 10 put on the watchlist, all lists together")
    movies: int = Field(description="Distinct movies the lists showed, at any position")
    click_through: float | None = Field(description="opened / lists: click-through at 10; null without lists")
    rated_share: float | None = Field(description="rated / lists")
    liked_share: float | None = Field(description="liked / lists")
    watchlist_share: float | None = Field(description="watchlisted / lists")
    hidden_share: float | None = Field(description="hidden / lists: the not-interested rate")
    coverage: float | None = Field(description="movies / the movies the version knows")


class OnlineDayOut(OnlineCountsOut):
    day: dt.date = Field(description="The UTC day the lists were shown (their follow-ups count on it)")


class OnlineMetricsOut(Schema):
    version_id: int
    catalogue: int = Field(description="The movies the version knows, of which coverage is a share")
    days: list[OnlineDayOut] = Field(description="Each day with lists, oldest first")
    total: OnlineCountsOut = Field(description="The whole period")


# Comparisons ---------------------------------------------------------------------------------------------------------
class ComparisonIn(Schema):
    candidate: int = Field(strict=True, ge=1, le=2**63 - 1, description="The id of a ready version to compare")
    share: float = Field(
        strict=False, gt=0, le=1, description="The share of signed-in people who see the interleaved list, (0, 1]"
    )


class SignalOut(Schema):
    prefer_candidate: int = Field(description="People who preferred the candidate's movies on this signal")
    prefer_active: int = Field(description="People who preferred the active version's")
    neither: int = Field(description="People shown the lists who preferred neither")
    candidate_share: float | None = Field(description="prefer_candidate over the people preferring one; null: none")
    interval: tuple[float, float] = Field(description="The always-valid 95% interval of candidate_share")
    verdict: Literal["continue", "a_wins", "b_wins", "no_difference"] = Field(
        description="a_wins: the active version is preferred; b_wins: the candidate; continue: not clear yet"
    )


class ComparisonOut(Schema):
    id: int
    version_a: int | None = Field(description="The active version when it started (null once pruned)")
    version_b: int | None = Field(description="The candidate (null once pruned)")
    share: float
    status: Literal["running", "promoted", "stopped"]
    started_at: dt.datetime
    ended_at: dt.datetime | None
    ended_note: str
    people: int = Field(description="People shown at least one of its interleaved lists")
    openings: SignalOut = Field(description="Movies opened from the lists")
    likes: SignalOut = Field(description="Movies rated 4 stars or more from the lists")


# Health --------------------------------------------------------------------------------------------------------------
class CheckOut(Schema):
    ok: bool
    detail: str


class HealthChecks(Schema):
    database: CheckOut
    redis: CheckOut
    model: CheckOut


class HealthOut(Schema):
    status: Literal["ok", "unavailable"]
    detail: str = Field(description="`ok`, or what does not answer")
    checks: HealthChecks
