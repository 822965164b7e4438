"""The artifact's training ratings and users' fingerprints: saved, checked, and read from earlier layouts."""

from dataclasses import replace

import numpy as np
import pytest

from recsys.rating_model import (
    ARRAY_DTYPE,
    ARRAY_SHAPE,
    SERVING_ARRAYS,
    TRAINING_RATINGS_INCONSISTENT,
    FactorModel,
)
from recsys.training_ratings import TrainingRatings
from tests.recsys.arrays import legacy_save, random_model, with_mirror_ranking


def trained_model() -> FactorModel:
    """A servable random model with 20 training ratings for each of its 30 users."""
    model = with_mirror_ranking(random_model())
    rng = np.random.default_rng(2)
    users = np.repeat(model.user_ids, 20)
    movies = np.concatenate([rng.choice(model.movie_ids, 20, replace=False) for _ in model.user_ids])
    return model.with_training_ratings(user_ids=users, movie_ids=movies, scores=rng.integers(1, 11, len(users)) / 2)


def stored_names(directory) -> set[str]:
    with np.load(directory / SERVING_ARRAYS, allow_pickle=False) as stored:
        return set(stored.files)


def test_an_artifact_without_training_ratings_keeps_the_fingerprints(tmp_path):
    """What serving needs by default: every user's fingerprint, and none of the training ratings."""
    model = trained_model()
    model.without_training_ratings().save(tmp_path)
    assert not {name for name in stored_names(tmp_path) if name.startswith(("training_", "rating_"))}
    loaded = FactorModel.load(tmp_path)
    assert not loaded.has_training_ratings
    assert loaded.user_fingerprints.dtype == np.uint64
    np.testing.assert_array_equal(loaded.user_fingerprints, model.user_fingerprints)
    assert loaded.problems() == []


def test_an_artifact_written_before_fingerprints_loads_with_them_derived(tmp_path):
    """An artifact of the earlier layout (training ratings as triples, no fingerprints) still loads and serves:
    its triples become the training ratings, and the fingerprints are computed from them."""
    model = trained_model()
    legacy_save(model, tmp_path)
    assert {"rating_user_rows", "rating_movie_rows", "rating_scores"} <= stored_names(tmp_path)
    assert "user_fingerprints" not in stored_names(tmp_path)
    loaded = FactorModel.load(tmp_path)
    np.testing.assert_array_equal(loaded.user_fingerprints, model.user_fingerprints)
    for got, expected in zip(loaded.training_ratings().triples(), model.training_ratings().triples(), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert loaded.problems() == []


def test_an_earlier_artifact_with_rows_out_of_range_is_refused(tmp_path):
    """Triples pointing outside the vocabularies are a ValueError at load (the loader's "cannot be read")."""
    model = trained_model()
    user_rows, movie_rows, scores = model.training_ratings().triples()
    outside = np.where(movie_rows == 0, 500, movie_rows)  # the model has 200 movies
    moved = TrainingRatings.from_triples(user_rows=user_rows, movie_rows=outside, scores=scores, n_movies=501)
    legacy_save(replace(model, training=moved), tmp_path)
    with pytest.raises(ValueError, match=TRAINING_RATINGS_INCONSISTENT.format(why="movie rows out of range")):
        FactorModel.load(tmp_path)


def test_fingerprints_of_another_shape_or_type_are_refused():
    """One uint64 per user: fewer, or signed ones (which would never equal serving's), fail the artifact's check."""
    model = trained_model()
    fingerprints = model.user_fingerprints
    assert replace(model, user_fingerprints=fingerprints[:-1]).problems() == [
        ARRAY_SHAPE.format(name="user_fingerprints", shape=(29,), expected=(30,))
    ]
    assert replace(model, user_fingerprints=fingerprints.astype(np.int64)).problems() == [
        ARRAY_DTYPE.format(name="user_fingerprints", dtype="int64", expected="uint64")
    ]


def test_training_ratings_that_do_not_add_up_are_refused():
    """Runs by movie that do not cover the ratings, user rows outside the vocabulary, scores of another type."""
    model = trained_model()
    training = model.training_ratings()
    starts = training.movie_starts.copy()
    starts[-1] -= 1
    assert replace(model, training=replace(training, movie_starts=starts)).problems() == [
        TRAINING_RATINGS_INCONSISTENT.format(why="movie starts do not run from 0 to the number of ratings")
    ]
    users = training.user_rows.copy()
    users[0] = 30
    assert replace(model, training=replace(training, user_rows=users)).problems() == [
        TRAINING_RATINGS_INCONSISTENT.format(why="user rows out of range")
    ]
    scores = training.scores.astype(np.float64)
    assert replace(model, training=replace(training, scores=scores)).problems() == [
        ARRAY_DTYPE.format(name="training_scores", dtype="float64", expected="float32")
    ]
    assert replace(model, training=replace(training, scores=scores[:-1])).problems() == [
        ARRAY_SHAPE.format(name="training_scores", shape=(len(training) - 1,), expected=(len(training),))
    ]


def test_ratings_by_movie_are_those_given():
    """Grouped by movie, the ratings are the triples given (in another order), and a movie's ratings are its own."""
    user_rows, movie_rows, scores = np.array([0, 1, 2, 0]), np.array([3, 0, 3, 1]), np.array([1.0, 2.0, 3.0, 4.0])
    training = TrainingRatings.from_triples(user_rows=user_rows, movie_rows=movie_rows, scores=scores, n_movies=5)
    np.testing.assert_array_equal(training.movie_starts, [0, 1, 2, 2, 4, 4])
    assert sorted(zip(*(a.tolist() for a in training.triples()), strict=True)) == sorted(
        zip(user_rows.tolist(), movie_rows.tolist(), scores.tolist(), strict=True)
    )
    which, users, got = training.of_movies(np.array([4, 3, 1]))
    assert sorted(zip(which.tolist(), users.tolist(), got.tolist(), strict=True)) == [
        (1, 0, 1.0),
        (1, 2, 3.0),
        (2, 0, 4.0),
    ]
