"""The standard benchmark's splits: a fixed random fifth, and each user's latest fifth."""

from recsys.splits import split_by_time, split_random
from tests.recsys.arrays import synthetic_ratings


def test_random_split_holds_out_a_fifth_of_the_ratings_the_same_way_every_time() -> None:
    """The random split puts 20% of the ratings in the test set, disjoint from training, fixed by seed 42."""
    ratings = synthetic_ratings()
    first, second = split_random(ratings), split_random(ratings)
    assert len(first.test) == round(len(ratings) * 0.2)
    assert len(first.train) + len(first.test) == len(ratings)
    assert first.test.index.equals(second.test.index)
    assert not set(first.train.index) & set(first.test.index)


def test_time_split_holds_out_each_users_latest_fifth() -> None:
    """Every user's test ratings are their floor(20%) latest, and all later than any of their training ratings."""
    ratings = synthetic_ratings()
    split = split_by_time(ratings)
    for user, theirs in ratings.groupby("user"):
        test = split.test[split.test["user"] == user]
        train = split.train[split.train["user"] == user]
        assert len(test) == int(len(theirs) * 0.2)
        assert train["timestamp"].max() < test["timestamp"].min()
