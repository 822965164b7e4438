"""The site's list from the ranking model: the artifact carries it, the list follows it, new users are folded in."""

import logging
from dataclasses import replace

import numpy as np
import pytest

from recommender.services.artifacts import ARTIFACT_UNSERVABLE
from recommender.services.recommendations import Fallback, recommendations_for_user
from recommender.services.serving import MODEL_LOAD_FAILED, served_model
from recsys.lists import list_order, list_ratings, user_taste
from recsys.ranking_model import RankingModel
from recsys.rating_model import RANKING_MISSING, FactorModel
from tests.factories import RatingFactory, UserFactory
from tests.recommender.served_models import (
    ACTION_FACTORS,
    ROMANCE_FACTORS,
    World,
    model_version_create,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_serving")]

# Ranking factors along the genres (action, romance), movies in the world's order: four action, four romance.
GENRE_AXES = np.array([(2.0, 0.0)] * 4 + [(0.0, 2.0)] * 4)
# Ranking factors that the rating model disagrees with: whoever likes action 0-1 or romance 2-3 is on one axis,
# whoever likes romance 0-1 or action 2-3 on the other.
CROSSED_AXES = np.array([(2.0, 0.0)] * 2 + [(0.0, 2.0)] * 2 + [(0.0, 2.0)] * 2 + [(2.0, 0.0)] * 2)


def ranking_model(
    *, movie_factors: np.ndarray, movie_bias: np.ndarray | None = None, user_factors: np.ndarray | None = None
) -> RankingModel:
    """A ranking model over the world's two model users and eight movies (ids filled in by the artifact)."""
    return RankingModel(
        user_ids=np.zeros(2, dtype=np.int64),
        movie_ids=np.zeros(len(movie_factors), dtype=np.int64),
        user_factors=np.zeros((2, 2), dtype=np.float32) if user_factors is None else user_factors.astype(np.float32),
        user_mean=np.zeros(2, dtype=np.float32),
        movie_factors=movie_factors.astype(np.float32),
        movie_bias=np.zeros(len(movie_factors), dtype=np.float32)
        if movie_bias is None
        else movie_bias.astype(np.float32),
        user_ridge=1.0,
        other_weight=0.3,
        recency=0.5,
    )


def ranked_world_model(world: World, ranking: RankingModel):
    """The world's hand-made rating model (as ``world_model_create``) with ``ranking`` beside it, active."""
    ratings = [(r.user_id, r.movie_id, r.score) for movie in world.movies for r in movie.ratings.all()]
    return model_version_create(
        name="ranked",
        user_ids=[world.action_fan.pk, world.romance_fan.pk],
        user_factors=np.array([[2.0, -1.0], [-1.0, 2.0]]),
        movie_ids=[m.pk for m in world.movies],
        movie_factors=np.array(ACTION_FACTORS + ROMANCE_FACTORS),
        training_ratings=tuple(map(list, zip(*ratings, strict=True))),
        ranking=ranking,
    )


def new_user(name: str, ratings: dict) -> object:
    """A site user who signed up after the last retrain."""
    user = UserFactory(username=name)
    for movie, score in ratings.items():
        RatingFactory(user=user, movie=movie, score=score)
    return user


def listed(user, **kwargs) -> list:
    return [item.movie for item in recommendations_for_user(user=user, limit=20, **kwargs).items]


def test_artifact_round_trips_the_ranking_model(tmp_path):
    """Saved and loaded, the ranking arrays and scalars are the same; an artifact without them loads with none."""
    ranking = ranking_model(movie_factors=GENRE_AXES, movie_bias=np.arange(8.0), user_factors=np.eye(2))
    ranking = replace(ranking, user_ridge=2.5, other_weight=0.2, recency=0.7)
    model = FactorModel(
        user_ids=np.array([10, 11]),
        movie_ids=np.arange(100, 108),
        user_factors=np.ones((2, 2), dtype=np.float32),
        user_bias=np.zeros(2, dtype=np.float32),
        movie_factors=np.ones((8, 2), dtype=np.float32),
        movie_bias=np.zeros(8, dtype=np.float32),
        y_range=(0.0, 5.5),
        meta={"algorithm": "dot"},
        ranking=ranking,
    )
    (tmp_path / "new").mkdir()
    model.save(tmp_path / "new")
    loaded = FactorModel.load(tmp_path / "new")
    assert loaded.meta == {"algorithm": "dot"}
    for part in ("user_factors", "user_mean", "movie_factors", "movie_bias"):
        np.testing.assert_array_equal(getattr(loaded.ranking, part), getattr(ranking, part))
    np.testing.assert_array_equal(loaded.ranking.user_ids, model.user_ids)
    np.testing.assert_array_equal(loaded.ranking.movie_ids, model.movie_ids)
    assert (loaded.ranking.user_ridge, loaded.ranking.other_weight, loaded.ranking.recency) == (2.5, 0.2, 0.7)

    (tmp_path / "old").mkdir()
    replace(model, ranking=None).save(tmp_path / "old")
    assert FactorModel.load(tmp_path / "old").ranking is None  # it loads; the artifact check then refuses it


def test_the_served_list_is_the_ml_cores_list_with_its_stars(world):
    """The page is recsys.lists' order for the user's current ratings, each card with list_ratings' stars."""
    bias = np.array([0, 0, 3, 1, 0, 0, 2, 4], dtype=np.float32)
    ranked_world_model(world, ranking_model(movie_factors=np.zeros((8, 2)), movie_bias=bias))
    alice = new_user("alice", {world.romance_movies[0]: 5.0, world.action_movies[0]: 2.0})
    page = recommendations_for_user(user=alice)
    model = served_model().model
    rated = np.array([model.movie_index(world.romance_movies[0].pk), model.movie_index(world.action_movies[0].pk)])
    taste = user_taste(model=model, movie_rows=rated, scores=np.array([5.0, 2.0]), times=np.zeros(2))
    expected = list_order(model=model, taste=taste, candidate_rows=np.setdiff1d(np.arange(8), rated))
    assert [model.movie_index(item.movie.pk) for item in page.items] == expected.tolist()
    stars = list_ratings(model=model, taste=taste, movie_rows=expected)
    assert [item.predicted_rating for item in page.items] == pytest.approx(np.clip(stars, 0.5, 5.0).tolist(), abs=1e-4)
    assert not page.is_fallback and page.total == 6


def test_genre_filter_and_pages_keep_the_list_order(world):
    """A genre's list is the list's order within it, and pages split that order without overlap."""
    bias = np.array([0, 0, 3, 1, 0, 0, 2, 4], dtype=np.float32)
    ranked_world_model(world, ranking_model(movie_factors=np.zeros((8, 2)), movie_bias=bias))
    whole = listed(world.action_fan)
    assert listed(world.action_fan, genre="romance") == [m for m in whole if m in world.romance_movies]
    first = recommendations_for_user(user=world.action_fan, limit=3, offset=0).items
    second = recommendations_for_user(user=world.action_fan, limit=3, offset=3).items
    assert [i.movie for i in first + second] == whole


def test_a_trained_user_keeps_their_vector_until_they_rate_again(world):
    """A user whose ratings training saw is served from the learned vectors, the ranking model leading; after a new
    rating they are folded in afresh from all their ratings."""
    action, romance = world.action_movies, world.romance_movies
    bias = np.array([0, 0, 0, 4, 0, 0, 0, 0], dtype=np.float32)  # the learned taste: action 3 above action 2
    ranked_world_model(world, ranking_model(movie_factors=GENRE_AXES, movie_bias=bias, user_factors=np.eye(2)))
    assert listed(world.action_fan)[0] == action[3]
    RatingFactory(user=world.action_fan, movie=romance[2], score=4.0)
    model = served_model().model
    ratings = {r.movie_id: r.score for r in world.action_fan.ratings.all()}
    rows = np.array([model.movie_index(m) for m in ratings])
    taste = user_taste(
        model=model,
        movie_rows=rows,
        scores=np.array(list(ratings.values())),
        times=np.zeros(len(rows)),
        user_row=model.user_index(world.action_fan.pk),
    )
    assert not taste.learned
    expected = list_order(model=model, taste=taste, candidate_rows=np.setdiff1d(np.arange(8), rows))
    assert [model.movie_index(m.pk) for m in listed(world.action_fan)] == expected.tolist()


def test_reasons_name_the_nearest_liked_movie(world):
    """With a mixed taste, action picks are explained by the action movie rated and romance picks by the romance one."""
    ranked_world_model(world, ranking_model(movie_factors=GENRE_AXES))
    action, romance = world.action_movies, world.romance_movies
    carol = new_user("carol", {action[0]: 5.0, romance[0]: 4.0})
    items = recommendations_for_user(user=carol).items
    assert len(items) == 6
    for item in items:
        expected = action[0] if item.movie in action else romance[0]
        assert item.reason == expected
        assert item.reason_score == (5.0 if expected == action[0] else 4.0)
    assert {item.reason for item in items} == {action[0], romance[0]}


def test_an_artifact_without_a_ranking_model_is_refused(world, caplog):
    """Every retrain ships a ranking model: an artifact without one cannot make the list, and the site says so and
    falls back to popularity."""
    version = model_version_create(
        name="old",
        user_ids=[world.action_fan.pk, world.romance_fan.pk],
        user_factors=np.eye(2),
        movie_ids=[m.pk for m in world.movies],
        movie_factors=np.ones((len(world.movies), 2)),
        without_ranking=True,
    )
    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        page = recommendations_for_user(user=world.action_fan)
    assert page.fallback == Fallback.NO_MODEL
    unservable = ARTIFACT_UNSERVABLE.format(version=version.pk, problems=RANKING_MISSING)
    assert MODEL_LOAD_FAILED.format(version=version.pk, error=unservable) in caplog.messages


def test_a_ranking_model_of_the_wrong_shape_is_refused_at_load(world):
    """Ranking arrays that do not line up with the vocabularies are malformed: the site falls back to popularity."""
    ranked_world_model(world, ranking_model(movie_factors=GENRE_AXES[:7]))
    page = recommendations_for_user(user=world.action_fan)
    assert page.is_fallback and page.fallback == Fallback.NO_MODEL
