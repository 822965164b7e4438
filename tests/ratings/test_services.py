"""Rating writes: rating_set and rating_delete store valid ratings and refuse everything else, storing nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from ratings.models import ALLOWED_SCORES, Rating
from ratings.services.ratings import (
    LOGIN_REQUIRED,
    SCORE_INVALID,
    SCORE_MISSING,
    rating_delete,
    rating_set,
    score_clean,
)
from tests.factories import MovieFactory, RatingFactory, UserFactory

BAD_SCORES = [
    "abc",
    "0",
    "0.0",
    "5.5",
    "6",
    "-1",
    "-0.5",
    "3.25",
    "4.4",
    "1e308",
    "1e400",
    "9" * 400,
    "nan",
    "inf",
    "-inf",
    "0x10",
    "4,5",
    "½",
    0,
    5.5,
    3.3,
    float("nan"),
    float("inf"),
    True,
    [],
    {},
]


@pytest.mark.parametrize("raw", ["0.5", "1", "1.0", "3.5", "5", " 4 ", "05.0", 2, 4.5])
def test_score_clean_accepts_half_star_steps(raw: object) -> None:
    """Every half-star step from 0.5 to 5 is accepted, however it is spelled, and comes back as a float."""
    assert score_clean(raw) in ALLOWED_SCORES


@pytest.mark.parametrize("raw", BAD_SCORES)
def test_score_clean_refuses_anything_else(raw: object) -> None:
    """Zero, above 5, quarter steps, text, huge and non-finite numbers are refused with one clear message."""
    with pytest.raises(ValidationError) as caught:
        score_clean(raw)
    assert caught.value.messages == [SCORE_INVALID]


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_score_clean_asks_for_a_missing_score(raw: object) -> None:
    """No score at all asks for one, rather than calling it invalid."""
    with pytest.raises(ValidationError) as caught:
        score_clean(raw)
    assert caught.value.messages == [SCORE_MISSING]


@pytest.mark.django_db
def test_rating_set_creates_then_replaces() -> None:
    """A second rating of the same movie replaces the first: one row per user and movie, with the new score."""
    user, movie = UserFactory(), MovieFactory()
    first = rating_set(user=user, movie=movie, score="3.5")
    second = rating_set(user=user, movie=movie, score=5)
    assert first.pk == second.pk
    assert list(Rating.objects.values_list("user", "movie", "score")) == [(user.pk, movie.pk, 5.0)]
    assert second.timestamp >= first.timestamp


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["abc", "0", "5.5", "3.25", "1e400", ""])
def test_rating_set_refuses_bad_scores_and_keeps_the_old_rating(raw: str) -> None:
    """A refused score neither creates a rating nor changes an existing one."""
    existing = RatingFactory(score=4.0)
    other_movie = MovieFactory()
    for movie in (existing.movie, other_movie):
        with pytest.raises(ValidationError):
            rating_set(user=existing.user, movie=movie, score=raw)
    assert list(Rating.objects.values_list("score", flat=True)) == [4.0]


@pytest.mark.django_db
def test_rating_writes_refuse_anonymous_users() -> None:
    """Without a signed-in user, neither write touches the database."""
    movie = MovieFactory()
    with pytest.raises(PermissionDenied, match=LOGIN_REQUIRED):
        rating_set(user=AnonymousUser(), movie=movie, score=4)
    with pytest.raises(PermissionDenied, match=LOGIN_REQUIRED):
        rating_delete(user=AnonymousUser(), movie=movie)
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_rating_delete_removes_only_that_rating() -> None:
    """Deleting removes the user's rating of that movie, reports whether there was one, and leaves others alone."""
    mine = RatingFactory()
    other_user = RatingFactory(movie=mine.movie)
    other_movie = RatingFactory(user=mine.user)
    assert rating_delete(user=mine.user, movie=mine.movie) is True
    assert rating_delete(user=mine.user, movie=mine.movie) is False
    assert set(Rating.objects.values_list("pk", flat=True)) == {other_user.pk, other_movie.pk}
