"""Watchlist and "not interested" in the list: both leave it at once, and a hidden movie counts as a dislike
(its nearest movies rank lower) without changing the stars or the reasons."""

import pytest

from ratings.models import Mark
from ratings.services.marks import movie_mark_delete, movie_mark_set
from recommender.services.recommendations import recommendations_for_user
from tests.factories import RatingFactory, UserFactory
from tests.recommender.served_models import world_model_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_serving")]


def listed(user) -> list:
    return [item.movie for item in recommendations_for_user(user=user, limit=50).items]


@pytest.fixture
def alice(world) -> object:
    """A site user the model has not seen, who likes one movie of each genre."""
    user = UserFactory(username="alice")
    RatingFactory(user=user, movie=world.action_movies[0], score=5.0)
    RatingFactory(user=user, movie=world.romance_movies[0], score=5.0)
    return user


@pytest.mark.parametrize("mark", list(Mark))
def test_a_marked_movie_leaves_the_list_at_once_and_comes_back_when_undone(world, alice, mark) -> None:
    """Marked (watchlist or hidden), a movie is on no page of the list, and the total counts it out; undone, it is
    back."""
    world_model_create(world)
    movie = world.romance_movies[2]
    before = recommendations_for_user(user=alice, limit=50)
    assert movie in [item.movie for item in before.items]
    movie_mark_set(user=alice, movie=movie, mark=mark)
    after = recommendations_for_user(user=alice, limit=50)
    assert movie not in [item.movie for item in after.items]
    assert after.total == before.total - 1
    movie_mark_delete(user=alice, movie=movie, mark=mark)
    assert movie in listed(alice)


@pytest.mark.parametrize("mark", list(Mark))
def test_the_popularity_fallback_leaves_marked_movies_out_too(world, mark) -> None:
    """Without a model (or without ratings) the popular list that stands in leaves out marked movies as well."""
    bob = UserFactory(username="bob")
    popular = listed(bob)
    movie_mark_set(user=bob, movie=popular[0], mark=mark)
    assert popular[0] not in listed(bob)
    world_model_create(world)
    assert popular[0] not in listed(bob)


def test_a_hidden_movie_pushes_its_nearest_movies_down_as_a_dislike_would(world, alice) -> None:
    """Hiding a romance movie sends the other romance movies down the list (a 1-star dislike's push on its
    nearest), where putting it on the watchlist leaves the order of the rest as it was."""
    world_model_create(world)
    hidden, others = world.romance_movies[1], world.romance_movies[2:]
    baseline = listed(alice)
    movie_mark_set(user=alice, movie=hidden, mark=Mark.WATCHLIST)
    assert listed(alice) == [movie for movie in baseline if movie != hidden]
    assert baseline[0] == others[0]  # liked as much as action, romance led the list
    movie_mark_set(user=alice, movie=hidden, mark=Mark.HIDDEN)
    after = listed(alice)
    assert hidden not in after
    assert all(after.index(action) < after.index(romance) for action in world.action_movies[1:] for romance in others)


def test_hiding_changes_neither_the_stars_nor_the_reasons(world, alice) -> None:
    """The predicted stars and the reasons come from the ratings alone: a hidden movie is not a rating."""
    world_model_create(world)
    before = {item.movie: (item.predicted_rating, item.reason) for item in recommendations_for_user(user=alice).items}
    movie_mark_set(user=alice, movie=world.romance_movies[1], mark=Mark.HIDDEN)
    after = {item.movie: (item.predicted_rating, item.reason) for item in recommendations_for_user(user=alice).items}
    assert after == {movie: shown for movie, shown in before.items() if movie != world.romance_movies[1]}


def test_a_rated_movie_that_is_also_hidden_counts_as_its_rating(world, alice) -> None:
    """A movie the user rated and then hid is judged by the rating (5 stars here), not as a dislike."""
    world_model_create(world)
    baseline = listed(alice)
    movie_mark_set(user=alice, movie=world.romance_movies[0], mark=Mark.HIDDEN)
    assert listed(alice) == baseline
