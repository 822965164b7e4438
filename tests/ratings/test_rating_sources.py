"""Whose ratings: MovieLens raters' and the site users', split by the raters' profiles."""

import pytest

from ratings.models import Rating
from tests.factories import ProfileFactory, RatingFactory, UserFactory


@pytest.mark.django_db
def test_site_users_ratings_are_those_of_every_account_that_is_not_a_movielens_rater() -> None:
    """An account without a profile and one whose profile has no MovieLens id are site users; the two sources split
    the ratings between them."""
    movielens = RatingFactory(user=ProfileFactory(movielens_id=7).user)
    without_profile = RatingFactory(user=UserFactory())
    with_profile = RatingFactory(user=ProfileFactory(movielens_id=None).user)

    assert set(Rating.objects.from_site_users()) == {without_profile, with_profile}
    assert set(Rating.objects.from_movielens()) == {movielens}


@pytest.mark.django_db
def test_site_users_ratings_are_read_by_their_pks_without_joining_the_profiles() -> None:
    """The ratings are filtered by the site users' pks, read beforehand: the query on the ratings table joins no
    profile (a join read every one of 25 million ratings)."""
    site_user = UserFactory()
    RatingFactory(user=site_user)

    query = str(Rating.objects.from_site_users().query)

    assert "profile" not in query.lower()
    assert str(site_user.pk) in query
