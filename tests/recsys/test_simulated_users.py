"""Simulated people: they click by position and by their true taste, rate what they click around it, and the
same generator makes the same people; a version of known error shows worse lists the more it errs."""

import math

import numpy as np
import pytest

from recsys.rating_model import FactorModel, UnknownIdError
from recsys.simulated_users import (
    ATTENTION_INVALID,
    ETA_NEGATIVE,
    FIRST_OUT_OF_RANGE,
    LIST_NOISE_NEGATIVE,
    NOISE_NEGATIVE,
    SHAPES,
    SPREAD_NOT_POSITIVE,
    USER_ROW_OUT_OF_RANGE,
    ClickParams,
    interleaved_preferences,
    simulated_lists,
    simulated_responses,
    synthetic_taste,
    true_ratings,
)


def fixed_taste(ratings: list[float], *, users: int = 2) -> FactorModel:
    """A taste model in which everyone's true rating of movie i (id 101 + i) is ratings[i]: no factors, the
    movie bias the logit of the rating in y_range (0, 5.5)."""
    logits = [math.log(r / (5.5 - r)) for r in ratings]
    return FactorModel(
        user_ids=np.arange(1, users + 1),
        movie_ids=np.arange(101, 101 + len(ratings)),
        user_factors=np.zeros((users, 1), dtype=np.float32),
        user_bias=np.zeros(users, dtype=np.float32),
        movie_factors=np.zeros((len(ratings), 1), dtype=np.float32),
        movie_bias=np.array(logits, dtype=np.float32),
        y_range=(0.0, 5.5),
    )


def within_binomial(count: int, *, n: int, p: float) -> bool:
    """count is within 4 standard deviations of n * p."""
    return abs(count - n * p) <= 4 * math.sqrt(n * p * (1 - p))


def test_the_click_curves_are_those_documented() -> None:
    """The first position is looked at 40% of the time, the fifth a fifth as often; a movie looked at is clicked
    half the time at 4.25 stars, 82% at 5 and 8% at 3."""
    params = ClickParams()
    assert params.examination(5) == pytest.approx([0.4, 0.2, 0.4 / 3, 0.1, 0.08])
    assert params.attractiveness(np.array([4.25, 5.0, 3.0])) == pytest.approx([0.5, 0.818, 0.076], abs=1e-3)


def test_people_click_by_position() -> None:
    """Ten movies everyone would rate 4.25: each position is clicked as often as it is looked at times one half."""
    taste = fixed_taste([4.25] * 10)
    n = 20_000
    shown = np.tile(taste.movie_ids, (n, 1))
    responses = simulated_responses(
        taste=taste, user_rows=np.zeros(n, dtype=int), movie_ids=shown, rng=np.random.default_rng(0)
    )
    expected = ClickParams().examination(10) * 0.5
    for position, p in enumerate(expected):
        assert within_binomial(int(responses.clicked[:, position].sum()), n=n, p=p)


def test_each_person_looks_as_much_as_their_attention_says() -> None:
    """With their own attention, a person who never looks never clicks, one who always looks clicks the first movie
    (4.25 stars) half the time, and the examination curve is each person's attention times 1 / position."""
    taste = fixed_taste([4.25] * 3)
    n = 20_000
    shown = np.tile(taste.movie_ids, (n, 1))
    attention = np.where(np.arange(n) % 2 == 0, 0.0, 1.0)
    responses = simulated_responses(
        taste=taste,
        user_rows=np.zeros(n, dtype=int),
        movie_ids=shown,
        rng=np.random.default_rng(7),
        attention=attention,
    )
    assert not responses.clicked[attention == 0.0].any()
    assert within_binomial(int(responses.clicked[attention == 1.0, 0].sum()), n=n // 2, p=0.5)
    assert ClickParams().examination(2, attention=np.array([1.0, 0.2])) == pytest.approx(
        np.array([[1.0, 0.5], [0.2, 0.1]])
    )


def test_people_click_by_taste() -> None:
    """At the same position, a movie the person would rate 5 is clicked more than ten times as often as one they
    would rate 3 (82% against 8% when looked at)."""
    taste = fixed_taste([5.0, 3.0])
    n = 20_000
    rng = np.random.default_rng(1)
    five_first = simulated_responses(
        taste=taste, user_rows=np.zeros(n, dtype=int), movie_ids=np.tile([101, 102], (n, 1)), rng=rng
    )
    three_first = simulated_responses(
        taste=taste, user_rows=np.zeros(n, dtype=int), movie_ids=np.tile([102, 101], (n, 1)), rng=rng
    )
    assert five_first.clicked[:, 0].sum() > 10 * three_first.clicked[:, 0].sum()
    assert within_binomial(int(five_first.clicked[:, 0].sum()), n=n, p=0.4 * 0.818)


def test_people_rate_what_they_click_around_their_true_rating() -> None:
    """Only clicked movies have a score; scores are half stars from 0.5 to 5, averaging the true rating (3.5)
    within rounding; without noise a score is the true rating rounded; a like is a score of 4 or more."""
    taste = fixed_taste([3.5] * 4)
    n = 20_000
    shown = np.tile(taste.movie_ids, (n, 1))
    rows = np.zeros(n, dtype=int)
    responses = simulated_responses(taste=taste, user_rows=rows, movie_ids=shown, rng=np.random.default_rng(2))
    scores = responses.scores[responses.clicked]
    assert np.isnan(responses.scores[~responses.clicked]).all()
    assert ((scores * 2) == np.round(scores * 2)).all() and scores.min() >= 0.5 and scores.max() <= 5.0
    assert scores.mean() == pytest.approx(3.5, abs=0.02)
    assert (responses.liked == (responses.clicked & (responses.scores >= 4.0))).all()
    exact = simulated_responses(
        taste=fixed_taste([3.3]),
        user_rows=rows,
        movie_ids=shown[:, :1],
        rng=np.random.default_rng(2),
        params=ClickParams(noise=0.0),
    )
    assert set(exact.scores[exact.clicked].tolist()) == {3.5}


def test_the_same_generator_makes_the_same_people() -> None:
    """Two generators of one seed give the same clicks and scores; another seed gives others."""
    taste = synthetic_taste(users=50, movies=100)
    rows = np.arange(50)
    shown = simulated_lists(taste=taste, user_rows=rows, k=10, noise=0.0, rng=np.random.default_rng(0))

    def respond(seed: int) -> tuple[np.ndarray, np.ndarray]:
        responses = simulated_responses(taste=taste, user_rows=rows, movie_ids=shown, rng=np.random.default_rng(seed))
        return responses.clicked, np.nan_to_num(responses.scores)

    first, again, other = respond(5), respond(5), respond(6)
    assert all((x == y).all() for x, y in zip(first, again, strict=True))
    assert not (first[0] == other[0]).all()


def test_true_ratings_are_the_taste_models_predictions() -> None:
    """Each person's true rating of each movie shown is the taste model's prediction for that pair."""
    taste = synthetic_taste(users=20, movies=30)
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 20, 15)
    shown = np.stack([rng.permutation(taste.movie_ids)[:5] for _ in rows])
    truth = true_ratings(taste=taste, user_rows=rows, movie_ids=shown)
    for i, row in enumerate(rows):
        expected = taste.predict_user(int(row), np.array([taste.movie_index(m) for m in shown[i]]))
        assert truth[i] == pytest.approx(expected, rel=1e-5)


def test_a_version_that_errs_more_shows_worse_lists() -> None:
    """Without noise the list is each person's true top 10; noise of 0.3 stars makes it a little worse, 1 star
    clearly worse (mean true rating of the top 10)."""
    taste = synthetic_taste(users=200, movies=300)
    rows = np.arange(200)
    quality = []
    for noise in (0.0, 0.3, 1.0):
        lists = simulated_lists(taste=taste, user_rows=rows, k=10, noise=noise, rng=np.random.default_rng(4))
        quality.append(true_ratings(taste=taste, user_rows=rows, movie_ids=lists).mean())
    best = np.sort(np.stack([taste.predict_user(row) for row in rows]), axis=1)[:, ::-1][:, :10].mean()
    assert quality[0] == pytest.approx(best, rel=1e-6)
    assert quality[0] > quality[1] + 0.05 > quality[2] + 0.3


def test_the_synthetic_taste_spreads_as_documented() -> None:
    """synthetic_taste's predictions: 10th, 50th and 90th percentiles within 0.15 stars of 2.4, 3.2 and 4.0, the
    spread of the model fitted to MovieLens 100k, with 8 factors and with 32."""
    for factors in (8, 32):
        taste = synthetic_taste(users=300, movies=1000, factors=factors, seed=5)
        predictions = np.stack([taste.predict_user(row) for row in range(300)])
        assert np.percentile(predictions, [10, 50, 90]) == pytest.approx([2.4, 3.2, 4.0], abs=0.15)


def test_interleaved_people_prefer_the_version_they_clicked_more() -> None:
    """A person shown the draft of the true top 10 (A) against the true bottom 10 (B) prefers A far more often
    than B, by clicks and by likes."""
    taste = synthetic_taste(users=300, movies=200)
    rows = np.arange(300).repeat(5)
    truth = np.stack([taste.predict_user(row) for row in rows])
    order = np.argsort(-truth, axis=1)
    best, worst = taste.movie_ids[order[:, :10]], taste.movie_ids[order[:, ::-1][:, :10]]
    preferences = interleaved_preferences(
        taste=taste, user_rows=rows, lists_a=best, lists_b=worst, k=10, rng=np.random.default_rng(6)
    )
    for signal in (preferences.clicks, preferences.likes):
        assert (signal > 0).sum() > 20 * max((signal < 0).sum(), 1)


def test_bad_people_and_lists_are_refused_with_a_reason() -> None:
    """Shapes that do not match, a user row outside the taste model, a movie it never saw and attention that is not
    one probability per list are errors that say so; so are click settings out of range."""
    taste = fixed_taste([4.0, 3.0])
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError) as error:
        true_ratings(taste=taste, user_rows=np.array([0, 1]), movie_ids=np.array([[101, 102]]))
    assert str(error.value) == SHAPES.format(users=(2,), movies=(1, 2))
    with pytest.raises(ValueError) as error:
        true_ratings(taste=taste, user_rows=np.array([2]), movie_ids=np.array([[101, 102]]))
    assert str(error.value) == USER_ROW_OUT_OF_RANGE.format(last=1, row=2)
    with pytest.raises(UnknownIdError, match="movie 999 is not in the model's training data"):
        simulated_responses(taste=taste, user_rows=np.array([0]), movie_ids=np.array([[101, 999]]), rng=rng)
    for attention in (np.array([0.5, 0.5]), np.array([1.5])):
        with pytest.raises(ValueError) as error:
            simulated_responses(
                taste=taste, user_rows=np.array([0]), movie_ids=np.array([[101, 102]]), rng=rng, attention=attention
            )
        assert str(error.value) == ATTENTION_INVALID.format(lists=1)
    with pytest.raises(ValueError) as error:
        simulated_lists(taste=taste, user_rows=np.array([0]), k=1, noise=-1.0, rng=rng)
    assert str(error.value) == LIST_NOISE_NEGATIVE.format(noise=-1.0)
    for kwargs, message in (
        ({"first": 0.0}, FIRST_OUT_OF_RANGE.format(first=0.0)),
        ({"eta": -1.0}, ETA_NEGATIVE.format(eta=-1.0)),
        ({"spread": 0.0}, SPREAD_NOT_POSITIVE.format(spread=0.0)),
        ({"noise": -0.5}, NOISE_NEGATIVE.format(noise=-0.5)),
    ):
        with pytest.raises(ValueError) as error:
            ClickParams(**kwargs)
        assert str(error.value) == message


def test_a_person_prefers_the_version_that_won_more_of_their_impressions() -> None:
    """With people named, each person's preference is that of their impressions together: the sign of their wins
    less their losses, the same draws as when each impression is a person of its own."""
    taste = synthetic_taste(users=100, movies=150)
    rows = np.arange(100).repeat(4)
    person = np.arange(100).repeat(4)
    lists_a = simulated_lists(taste=taste, user_rows=rows, k=10, noise=0.3, rng=np.random.default_rng(8))
    lists_b = simulated_lists(taste=taste, user_rows=rows, k=10, noise=1.0, rng=np.random.default_rng(9))

    def preferences(people: np.ndarray | None) -> np.ndarray:
        return interleaved_preferences(
            taste=taste, user_rows=rows, lists_a=lists_a, lists_b=lists_b, k=10, rng=np.random.default_rng(10),
            people=people,
        ).clicks  # fmt: skip

    each = preferences(None)
    together = preferences(person)
    assert len(each) == 400 and len(together) == 100
    assert (together == np.sign(each.reshape(100, 4).sum(axis=1))).all()
    assert (together != each[::4]).any()
