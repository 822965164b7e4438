"""The signals the retrain reads for the ranking model: movies opened from lists, once each; the watchlist and
hidden marks people have now; and the fingerprint by which a retrain knows there is something new to learn."""

import pytest

from feedback.models import Action, ListKind
from ratings.selectors import ratings_fingerprint, ratings_frame
from ratings.services.marks import movie_mark_delete, movie_mark_set
from ratings.training_signals import training_fingerprint, training_signals_frame
from recsys.implicit_feedback import Signal
from tests.factories import MovieFactory, RatingFactory, UserFactory
from tests.feedback.events import follow, list_show

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple[int, int, str]]:
    frame = training_signals_frame()
    return list(zip(frame.user, frame.movie, frame.signal, strict=True))


def test_opened_movies_and_current_marks_are_read_once_each() -> None:
    """A movie opened from two lists is one opened row; a watchlist and a hidden mark are theirs; a rating and a
    watchlist add from a list are follow-ups but not clicks; an undone mark is gone."""
    ann, bob = UserFactory(), UserFactory()
    movies = MovieFactory.create_batch(5)
    ids = [movie.pk for movie in movies]
    for _ in range(2):
        shown = list_show(user=ann, movie_ids=ids, version_id=None, kind=ListKind.HOME)
        follow(user=ann, shown=shown, movie_id=ids[0], action=Action.OPENED)
    follow(user=ann, shown=shown, movie_id=ids[1], action=Action.RATED, score=4.0)
    movie_mark_set(user=ann, movie=movies[2], mark="watchlist", shown_list=shown)
    movie_mark_set(user=bob, movie=movies[3], mark="hidden")
    movie_mark_set(user=bob, movie=movies[4], mark="watchlist")
    movie_mark_delete(user=bob, movie=movies[4], mark="watchlist")
    assert sorted(_rows()) == sorted(
        [
            (ann.pk, ids[0], Signal.OPENED),
            (ann.pk, ids[2], Signal.WATCHLISTED),
            (bob.pk, ids[3], Signal.HIDDEN),
        ]
    )


def test_no_signal_is_an_empty_frame_of_the_columns() -> None:
    """A site that has logged nothing gives the training an empty frame it can read."""
    frame = training_signals_frame()
    assert frame.empty and list(frame.columns) == ["user", "movie", "signal"]


def test_the_fingerprint_is_the_ratings_own_until_a_signal_comes() -> None:
    """Without signals the fingerprint is the ratings' (versions trained before keep theirs); a click changes it,
    and reading twice gives the same one."""
    RatingFactory.create_batch(3)
    ratings = ratings_fingerprint(ratings=ratings_frame())
    assert training_fingerprint(ratings_fingerprint=ratings, signals=training_signals_frame()) == ratings
    user, movie = UserFactory(), MovieFactory()
    movie_mark_set(user=user, movie=movie, mark="watchlist")
    marked = training_fingerprint(ratings_fingerprint=ratings, signals=training_signals_frame())
    assert marked != ratings
    assert training_fingerprint(ratings_fingerprint=ratings, signals=training_signals_frame()) == marked
    movie_mark_set(user=user, movie=movie, mark="hidden")
    assert training_fingerprint(ratings_fingerprint=ratings, signals=training_signals_frame()) != marked
