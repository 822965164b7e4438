"""Personal recommendations, reasons, the popularity fallback, predictions and similar movies."""

import logging

import pytest
from django.contrib.auth.models import AnonymousUser

from ratings.services.ratings import rating_set
from recommender.services.onboarding import CLASSIC_NEEDS_RATINGS
from recommender.services.recommendations import (
    Fallback,
    popular_movies,
    rating_predict,
    recommendations_for_user,
    similar_movies,
)
from recommender.services.serving import served_model, serving_reset
from tests.factories import MovieFactory, RatingFactory, UserFactory
from tests.recommender.served_models import (
    GENRE_AGREEMENT_HEAD,
    model_version_create,
    world_model_create,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_serving")]


def new_user(name: str, ratings: dict) -> object:
    """A site user who signed up after the last retrain, so the model has never seen them."""
    user = UserFactory(username=name)
    for movie, score in ratings.items():
        RatingFactory(user=user, movie=movie, score=score)
    return user


def all_pages(user, *, genre=None, size=3) -> list:
    items, offset = [], 0
    while True:
        page = recommendations_for_user(user=user, limit=size, offset=offset, genre=genre)
        items += page.items
        offset += size
        if offset >= page.total:
            return items


def test_recommendations_never_contain_a_rated_movie(world):
    """Neither a new user's nor a model user's list shows a movie they rated, on any page."""
    world_model_create(world)
    fan = world.action_fan
    RatingFactory(user=fan, movie=world.action_movies[3], score=4.0)  # rated after training
    alice = new_user("alice", {world.action_movies[0]: 5.0, world.romance_movies[2]: 1.0})
    for user in (fan, alice):
        rated = set(user.ratings.values_list("movie_id", flat=True))
        shown = {item.movie.pk for item in all_pages(user)}
        assert shown
        assert not shown & rated


def test_reason_names_a_highly_rated_movie_of_the_user(world):
    """Each reason is a movie the user rated 4 or more, with the score they gave, nearest to the recommendation."""
    world_model_create(world)
    alice = new_user(
        "alice",
        {world.action_movies[0]: 5.0, world.romance_movies[0]: 4.0, world.romance_movies[1]: 1.0},
    )
    page = recommendations_for_user(user=alice)
    assert page.items
    for item in page.items:
        assert item.reason in {world.action_movies[0], world.romance_movies[0]}
        assert item.reason_score == alice.ratings.get(movie=item.reason).score
        expected = world.action_movies[0] if item.movie in world.action_movies else world.romance_movies[0]
        assert item.reason == expected


def test_reason_falls_back_to_the_best_rated_when_nothing_is_rated_highly(world):
    """A user whose best score is below 4 gets their best-rated movie as the reason, on the cards near it; the
    others name none rather than a movie unlike them."""
    world_model_create(world)
    carol = new_user("carol", {world.action_movies[0]: 3.0, world.romance_movies[0]: 1.0})
    items = recommendations_for_user(user=carol).items
    assert {item.reason for item in items} == {world.action_movies[0], None}
    assert all(item.reason == world.action_movies[0] for item in items if item.movie in world.action_movies)


def test_new_users_get_personal_results_without_a_retrain(world):
    """Users unknown to the model are placed from their ratings: lists follow their taste, not popularity."""
    world_model_create(world)
    alice = new_user("alice", {world.action_movies[0]: 5.0, world.action_movies[1]: 5.0, world.romance_movies[0]: 1.0})
    bob = new_user("bob", {world.romance_movies[0]: 5.0, world.romance_movies[1]: 5.0, world.action_movies[0]: 1.0})
    alice_page = recommendations_for_user(user=alice, limit=2)
    bob_page = recommendations_for_user(user=bob, limit=2)
    assert not alice_page.is_fallback and not bob_page.is_fallback
    assert {i.movie for i in alice_page.items} == {world.action_movies[2], world.action_movies[3]}
    assert {i.movie for i in bob_page.items} == {world.romance_movies[2], world.romance_movies[3]}
    popular = [i.movie for i in popular_movies(limit=2).items]
    assert [i.movie for i in alice_page.items] != popular
    assert all(i.predicted_rating is not None for i in alice_page.items)


def test_a_new_rating_changes_the_list_at_once(world):
    """The next request after a rating reflects it: the user is placed afresh from their current ratings."""
    world_model_create(world)
    dave = new_user("dave", {world.action_movies[0]: 3.0})
    for movie in world.romance_movies[:2]:
        RatingFactory(user=dave, movie=movie, score=5.0)
    RatingFactory(user=dave, movie=world.action_movies[1], score=0.5)
    after = recommendations_for_user(user=dave, limit=2).items
    assert {i.movie for i in after} == {world.romance_movies[2], world.romance_movies[3]}


@pytest.mark.parametrize("method", ["fold_in", "classic"])
def test_both_cold_start_methods_follow_taste(world, settings, method):
    """Fold-in and classic placement each put an action lover's unrated action movies first."""
    settings.RECOMMENDER_COLD_START = method
    world_model_create(world)
    alice = new_user("alice", {world.action_movies[0]: 5.0, world.action_movies[1]: 4.0, world.romance_movies[0]: 1.0})
    top = {i.movie for i in recommendations_for_user(user=alice, limit=2).items}
    assert top == {world.action_movies[2], world.action_movies[3]}


def test_classic_without_training_ratings_uses_fold_in(world, settings, caplog):
    """An artifact without training ratings cannot place by neighbours: fold-in answers, with a warning."""
    settings.RECOMMENDER_COLD_START = "classic"
    model_version_create(
        name="lean",
        user_ids=[world.action_fan.pk],
        user_factors=[[1.0, 0.0]],
        movie_ids=[m.pk for m in world.movies],
        movie_factors=[(1.0, 0.0)] * 4 + [(0.0, 1.0)] * 4,
    )
    alice = new_user("alice", {world.action_movies[0]: 5.0, world.romance_movies[0]: 1.0})
    with caplog.at_level(logging.WARNING):
        page = recommendations_for_user(user=alice, limit=3)
    assert {i.movie for i in page.items} == set(world.action_movies[1:])
    assert CLASSIC_NEEDS_RATINGS in caplog.messages


def test_nn_model_places_new_users_by_neighbours(world, settings):
    """An nn model (MLP head) is served too; a new user is placed the classic way, whatever the setting."""
    settings.RECOMMENDER_COLD_START = "fold_in"
    world_model_create(world, mlp=GENRE_AGREEMENT_HEAD)
    alice = new_user("alice", {world.action_movies[0]: 5.0, world.action_movies[1]: 5.0, world.romance_movies[0]: 1.0})
    page = recommendations_for_user(user=alice, limit=2)
    assert not page.is_fallback
    assert {i.movie for i in page.items} == {world.action_movies[2], world.action_movies[3]}
    fan_top = {i.movie for i in recommendations_for_user(user=world.romance_fan, limit=2).items}
    assert fan_top == {world.romance_movies[2], world.romance_movies[3]}


def test_model_user_uses_learned_vector(world):
    """A user in the model is ranked by the learned vector: the action fan gets action first."""
    world_model_create(world)
    top = [i.movie for i in recommendations_for_user(user=world.action_fan, limit=2).items]
    assert set(top) == {world.action_movies[2], world.action_movies[3]}


def test_user_without_ratings_gets_popular_list(world):
    """A signed-in user who rated nothing sees the popularity list, marked with why."""
    world_model_create(world)
    page = recommendations_for_user(user=UserFactory())
    assert page.is_fallback
    assert page.fallback == Fallback.NO_RATINGS
    assert page.items
    assert all(i.predicted_rating is None and i.reason is None for i in page.items)


def test_anonymous_gets_popular_list(world):
    """Visitors see the popularity list."""
    world_model_create(world)
    page = recommendations_for_user(user=AnonymousUser())
    assert page.is_fallback
    assert page.fallback == Fallback.ANONYMOUS
    assert [i.movie for i in page.items] == [i.movie for i in popular_movies().items]


def test_popular_list_is_bayesian_so_one_five_star_rating_does_not_top_it(world):
    """A movie with a single 5 ranks below one with many 4s and 5s."""
    one_hit = MovieFactory(title="One Hit")
    RatingFactory(movie=one_hit, score=5.0)
    favourite = MovieFactory(title="Favourite")
    for i in range(40):
        RatingFactory(movie=favourite, score=5.0 if i % 2 else 4.0)
    ranked = [i.movie for i in popular_movies().items]
    assert ranked.index(favourite) < ranked.index(one_hit)
    assert ranked[0] == favourite


def test_genre_filter(world):
    """With a genre, every item is in it and the total counts only that genre."""
    world_model_create(world)
    alice = new_user("alice", {world.action_movies[0]: 5.0})
    page = recommendations_for_user(user=alice, genre="romance")
    assert {i.movie for i in page.items} == set(world.romance_movies)
    assert page.total == 4
    popular = popular_movies(genre="action")
    assert popular.items and all(world.action in i.movie.genres.all() for i in popular.items)


def test_pagination(world):
    """Pages are consecutive slices of one ranking: no repeats, nothing lost, total stays the same."""
    world_model_create(world)
    alice = new_user("alice", {world.action_movies[0]: 5.0})
    full = recommendations_for_user(user=alice, limit=100)
    assert full.total == 7
    paged = all_pages(alice, size=3)
    assert [i.movie for i in paged] == [i.movie for i in full.items]
    assert recommendations_for_user(user=alice, limit=3, offset=6).total == 7
    assert recommendations_for_user(user=alice, limit=3, offset=30).items == []
    # The order and the stars tell one story: no card below three stars comes before one at three or more.
    low = [i.predicted_rating < 3.0 for i in full.items]
    assert low == sorted(low)


def test_rating_predict(world):
    """Predictions follow taste, stay on the rating scale, and are None for visitors and without a model."""
    alice = new_user("alice", {world.action_movies[0]: 5.0, world.romance_movies[0]: 1.0})
    assert rating_predict(user=alice, movie=world.action_movies[2]) is None  # no model yet
    world_model_create(world)
    serving_reset()
    action = rating_predict(user=alice, movie=world.action_movies[2])
    romance = rating_predict(user=alice, movie=world.romance_movies[2])
    assert 0.5 <= romance < action <= 5.0
    assert rating_predict(user=AnonymousUser(), movie=world.action_movies[2]) is None
    assert rating_predict(user=UserFactory(), movie=world.action_movies[2]) is None
    assert rating_predict(user=alice, movie=MovieFactory()) is None  # a movie the model never saw


def test_similar_movies_by_factors(world):
    """With a model, the nearest movies by factor cosine are of the same kind, the movie itself excluded."""
    world_model_create(world)
    similar = similar_movies(movie=world.action_movies[0], limit=3)
    assert len(similar) == 3
    assert set(similar) <= set(world.action_movies[1:])


def test_similar_movies_by_genre_without_model(world):
    """Without a model, movies sharing genres come first."""
    similar = similar_movies(movie=world.romance_movies[0], limit=3)
    assert set(similar) <= set(world.romance_movies[1:])
    assert len(similar) == 3


def test_a_person_is_placed_once_until_their_ratings_change(world):
    """The next page of a person whose ratings did not change reuses their placement; a changed rating places them
    afresh, and the list follows it at once."""
    world_model_create(world)
    erin = new_user("erin", {world.action_movies[0]: 5.0, world.action_movies[1]: 5.0})
    first = recommendations_for_user(user=erin, limit=2)
    placements = served_model().placements
    assert (placements.hits, placements.misses) == (0, 1)
    assert [i.movie for i in recommendations_for_user(user=erin, limit=2).items] == [i.movie for i in first.items]
    assert (placements.hits, placements.misses) == (1, 1)
    assert {i.movie for i in first.items} == {world.action_movies[2], world.action_movies[3]}
    for movie, score in ((world.action_movies[0], 0.5), (world.action_movies[1], 0.5), (world.romance_movies[0], 5.0)):
        rating_set(user=erin, movie=movie, score=score)
    rating_set(user=erin, movie=world.romance_movies[1], score=5.0)
    after = recommendations_for_user(user=erin, limit=2).items
    assert placements.misses == 2
    assert {i.movie for i in after} == {world.romance_movies[2], world.romance_movies[3]}


def test_placements_are_kept_per_person(world):
    world_model_create(world)
    alice = new_user("alice", {world.action_movies[0]: 5.0})
    bob = new_user("bob", {world.action_movies[0]: 5.0})
    recommendations_for_user(user=alice, limit=2)
    recommendations_for_user(user=bob, limit=2)
    assert served_model().placements.misses == 2
