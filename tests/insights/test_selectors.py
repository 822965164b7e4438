"""The numbers of the Model section come from the version's own weights and the ratings table."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from insights import selectors
from ratings.models import Rating
from recommender.services.artifacts import ArtifactError, artifact_path
from tests.factories import MovieFactory, ProfileFactory, RatingFactory, UserFactory
from tests.insights.conftest import N_MOVIES

pytestmark = pytest.mark.django_db


def test_bias_lists_are_the_movies_with_the_extreme_biases_of_the_weights(written_model) -> None:
    """The lowest and highest bias lists name, in order, the movies whose bias in the arrays is lowest/highest."""
    model = selectors.version_factor_model(version=written_model.version)
    lowest, highest = selectors.movie_bias_extremes(model=model, n=10)

    by_bias = sorted(zip(written_model.model.movie_bias, written_model.model.movie_ids, strict=True))
    titles = {movie.pk: movie.title for movie in written_model.movies}
    assert [m.title for m in lowest] == [titles[int(pk)] for _, pk in by_bias[:10]]
    assert [m.title for m in highest] == [titles[int(pk)] for _, pk in by_bias[::-1][:10]]
    assert lowest[0].bias == pytest.approx(-1.5)
    assert highest[0].bias == pytest.approx(1.5)


def test_factor_map_labels_the_fifty_most_rated_movies_at_their_principal_components(written_model) -> None:
    """The map holds the 50 most rated movies, each at its PCA coordinates computed from the movie factors."""
    model = selectors.version_factor_model(version=written_model.version)
    factor_map = selectors.movie_factor_map(model=model)

    most_rated = written_model.movies[N_MOVIES - 50 :]  # movies[i] has i + 1 ratings
    assert {p.title for p in factor_map.points} == {m.title for m in most_rated}
    assert factor_map.points[0].title == written_model.movies[-1].title  # most rated first
    assert factor_map.points[0].n_ratings == N_MOVIES

    # Independent PCA: eigenvectors of the covariance matrix of the chosen movies' factors.
    weights = written_model.model
    rows = [int(np.flatnonzero(weights.movie_ids == p.movie_id)[0]) for p in factor_map.points]
    factors = weights.movie_factors[rows].astype(np.float64)
    centred = factors - factors.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    top = np.argsort(eigenvalues)[::-1][:2]
    expected = centred @ eigenvectors[:, top]
    got = np.array([[p.x, p.y] for p in factor_map.points])
    for axis in range(2):  # an eigenvector's sign is arbitrary
        sign = np.sign(expected[:, axis] @ got[:, axis])
        np.testing.assert_allclose(got[:, axis], sign * expected[:, axis], atol=1e-5)
    assert factor_map.explained[0] == pytest.approx(eigenvalues[top[0]] / eigenvalues.sum())


def test_factor_map_is_the_same_on_every_rendering(written_model) -> None:
    """The map does not flip between two renderings: signs are fixed by the largest coordinate."""
    model = selectors.version_factor_model(version=written_model.version)
    first = selectors.movie_factor_map(model=model)
    second = selectors.movie_factor_map(model=model)
    assert first == second
    xs = np.array([p.x for p in first.points])
    assert xs[np.abs(xs).argmax()] > 0


def test_predicted_ratings_summary_matches_the_model_predictions(written_model) -> None:
    """The prediction histogram counts every user x movie prediction, and its mean is the predictions' mean."""
    model = selectors.version_factor_model(version=written_model.version)
    summary = selectors.predicted_ratings_summary(model=model)

    expected = np.stack([model.predict_user(row) for row in range(len(model.user_ids))])
    assert summary.n_predictions == N_MOVIES * N_MOVIES == sum(summary.counts)
    assert summary.mean == pytest.approx(float(expected.mean()), rel=1e-5)
    assert summary.share_4_plus == pytest.approx(float((expected >= 4).mean()))
    assert summary.edges[0] == 0.0 and summary.edges[-1] == 5.5


def test_tampered_artifact_is_refused(written_model) -> None:
    """A serving file that differs from its registered SHA-256 is not read."""
    path = artifact_path(version=written_model.version) / "serving.json"
    path.write_text('{"tampered": true}')
    with pytest.raises(ArtifactError):
        selectors.version_factor_model(version=written_model.version)


def test_data_overview_splits_movielens_and_site_ratings_and_counts_what_is_new(written_model) -> None:
    """Ratings per day are split by rater kind; ratings after the active version finished are counted as new."""
    movielens_user = ProfileFactory(movielens_id=1).user
    movie = MovieFactory()
    RatingFactory(user=movielens_user, movie=movie, timestamp=dt.datetime(1997, 9, 20, 10, tzinfo=dt.UTC))
    site_user = UserFactory()
    for days_ago in (0, 0, 3):
        RatingFactory(
            user=site_user, movie=MovieFactory(), score=4.5, timestamp=timezone.now() - dt.timedelta(days_ago)
        )

    site_ratings = Rating.objects.from_site_users()
    overview = selectors.data_overview(site_ratings=site_ratings)
    movielens_days = selectors.movielens_ratings_per_day(site_ratings=site_ratings)
    site_days = selectors.ratings_per_day(site_ratings)

    assert movielens_days.days == [dt.date(1997, 9, 20)]
    assert movielens_days.counts == [1]
    assert site_days.total == Rating.objects.count() - 1
    assert dict(zip(site_days.days, site_days.counts, strict=True))[timezone.now().date()] == 2
    assert site_days.busiest[1] == max(site_days.counts)
    assert overview.n_movielens_ratings == 1
    assert overview.n_site_ratings == Rating.objects.count() - 1
    assert overview.n_movielens_raters == 1
    assert overview.n_site_users == overview.n_users - 1
    assert overview.active == written_model.version
    assert overview.ratings_since_active == 2  # the one three days ago predates the training
    assert overview.growth_since_active == 4


def test_ratings_are_counted_on_their_utc_calendar_day() -> None:
    """A rating half a second before midnight UTC and one at midnight fall on two days, as the database dates them."""
    user, movie = UserFactory(), MovieFactory()
    for timestamp in (
        dt.datetime(1997, 9, 20, 23, 59, 59, 500_000, tzinfo=dt.UTC),
        dt.datetime(1997, 9, 21, tzinfo=dt.UTC),
    ):
        RatingFactory(user=user, movie=movie if timestamp.day == 20 else MovieFactory(), timestamp=timestamp)
    days = selectors.ratings_per_day(Rating.objects.all())
    assert days.days == [dt.date(1997, 9, 20), dt.date(1997, 9, 21)]
    assert days.counts == [1, 1]
