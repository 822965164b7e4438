"""The site's list in numpy: stated taste leads, a dislike pushes its nearest movies away, stars tell the same story,
reasons are named only when they are near, and the ranking model leads for the people it knows."""

from dataclasses import replace

import numpy as np
import pytest

from recsys.lists import (
    REASON_NEAREST,
    list_genre_reasons,
    list_order,
    list_ratings,
    list_reasons,
    list_scores,
    order_first,
    similar_rows,
    user_taste,
)
from recsys.params import ListParams
from recsys.ranking_model import RankingModel
from recsys.rating_model import FactorModel
from recsys.signals import ListSignals
from tests.recsys.arrays import signals_of

# Two tastes of five movies each: rows 0-4 lie along one factor ("genre A"), rows 5-9 along the other ("genre B").
FACTORS = np.array([(1.0, 0.05 * i) for i in range(5)] + [(0.05 * i, 1.0) for i in range(5)], dtype=np.float32)
GENRES = np.array([[1, 0]] * 5 + [[0, 1]] * 5, dtype=np.uint8)


def two_tastes(*, ranking_bias: np.ndarray | None = None, movie_bias: np.ndarray | None = None) -> FactorModel:
    n = len(FACTORS)
    model = FactorModel(
        user_ids=np.array([1, 2]),
        movie_ids=np.arange(100, 100 + n),
        user_factors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
        user_bias=np.zeros(2, dtype=np.float32),
        movie_factors=FACTORS,
        movie_bias=np.zeros(n, dtype=np.float32) if movie_bias is None else movie_bias.astype(np.float32),
        y_range=(0.0, 5.5),
    )
    ranking = RankingModel(
        user_ids=model.user_ids,
        movie_ids=model.movie_ids,
        user_factors=np.zeros((2, 2), dtype=np.float32),
        user_mean=np.zeros(2, dtype=np.float32),
        movie_factors=np.zeros((n, 2), dtype=np.float32),
        movie_bias=np.zeros(n, dtype=np.float32) if ranking_bias is None else ranking_bias.astype(np.float32),
        user_ridge=1.0,
    )
    return replace(model, ranking=ranking, signals=signals_of(model, genres=GENRES))


def taste_of(model: FactorModel, ratings: dict[int, float], **kwargs) -> object:
    rows = np.array(list(ratings), dtype=np.int64)
    scores = np.array(list(ratings.values()))
    return user_taste(model=model, movie_rows=rows, scores=scores, times=np.arange(len(rows), dtype=float), **kwargs)


def order_for(model: FactorModel, ratings: dict[int, float], **kwargs) -> list[int]:
    taste = taste_of(model, ratings, **kwargs)
    candidates = np.setdiff1d(np.arange(len(model.movie_ids)), list(ratings))
    return list_order(model=model, taste=taste, candidate_rows=candidates).tolist()


def test_a_stated_taste_leads_the_list():
    """Loving genre A and hating genre B puts every unrated A movie before every unrated B movie."""
    model = two_tastes()
    order = order_for(model, {0: 5.0, 1: 5.0, 5: 1.0, 6: 1.0})
    assert set(order[:3]) == {2, 3, 4}
    assert set(order[3:]) == {7, 8, 9}


def test_a_dislike_pushes_its_nearest_movies_down_and_never_pulls():
    """Turning a 5 into a 1 moves the movies nearest to it down the list; a 1 never helps its neighbours."""
    model = two_tastes()
    liked = order_for(model, {0: 5.0, 9: 4.0})
    disliked = order_for(model, {0: 1.0, 9: 4.0})
    for row in (1, 2):
        assert disliked.index(row) > liked.index(row)
    taste = taste_of(model, {0: 1.0})
    neutral = replace(taste, rated_scores=np.array([3.0]))
    pushed = list_scores(model=model, taste=taste) - list_scores(model=model, taste=neutral)
    assert (pushed[1:5] <= 1e-12).all() and pushed[1] < 0


def test_a_dislike_reaches_only_its_nearest_movies():
    """Beyond ``dislike_reach`` nearest movies, a dislike changes nothing."""
    model = replace(two_tastes(), list_params=replace(ListParams(), dislike_reach=1, genres=0.0))
    taste = taste_of(model, {0: 1.0})
    neutral = replace(taste, rated_scores=np.array([3.0]))
    pushed = list_scores(model=model, taste=taste) - list_scores(model=model, taste=neutral)
    nearest = model.signals.neighbour_rows[0, 0]
    assert pushed[nearest] < 0
    assert np.count_nonzero(np.abs(pushed) > 1e-12) == 1


def test_the_ranking_model_leads_for_a_learned_user_and_barely_moves_a_newcomer():
    """A learned user's list follows the ranking model; the same two ratings folded in leave the newcomer's list to
    their stated taste."""
    bias = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 9.0])  # the ranking model puts movie 9 (genre B) first
    model = two_tastes(ranking_bias=bias)
    ratings = {0: 5.0, 1: 5.0}
    assert order_for(model, ratings, user_row=0, learned=True)[0] == 9
    assert order_for(model, ratings)[0] in {2, 3, 4}


def test_a_movie_predicted_below_three_stars_never_precedes_one_predicted_above():
    """For a person who liked something, the order and the stars tell one story."""
    movie_bias = np.array([0, 0, 0, 0, 0, -6.0, -6.0, 0, 0, 0])  # the rating model dislikes movies 5 and 6 for all
    model = two_tastes(movie_bias=movie_bias, ranking_bias=np.array([0, 0, 0, 0, 0, 9.0, 9.0, 0, 0, 0]))
    taste = taste_of(model, {0: 5.0}, user_row=0, learned=True)
    order = list_order(model=model, taste=taste, candidate_rows=np.arange(1, 10))
    stars = list_ratings(model=model, taste=taste, movie_rows=order)
    assert stars.min() < 3.0
    low = stars < 3.0
    assert not (low[:-1] & ~low[1:]).any()  # once below three, the rest stay below three


def test_reasons_name_the_nearest_liked_movie_and_only_when_it_is_near():
    """A card's reason is the liked movie nearest to it among its REASON_NEAREST nearest; otherwise none (-1)."""
    model = two_tastes()
    taste = taste_of(model, {0: 5.0, 5: 4.0})
    reasons = list_reasons(model=model, taste=taste, movie_rows=np.array([1, 6]))
    assert reasons.tolist() == [0, 5]
    far = replace(
        model.signals,
        neighbour_rows=np.full_like(model.signals.neighbour_rows, -1),
        neighbour_sims=np.zeros_like(model.signals.neighbour_sims),
    )
    assert list_reasons(model=replace(model, signals=far), taste=taste, movie_rows=np.array([1])).tolist() == [-1]
    assert REASON_NEAREST >= 1


def test_more_like_this_prefers_known_movies_sharing_a_genre():
    """Neighbours with too few ratings or no shared genre come after the well-known ones of the same genre."""
    model = two_tastes()
    counts = model.signals.counts.copy()
    counts[1] = 1  # the nearest movie to 0 is obscure
    model = replace(model, signals=replace(model.signals, counts=counts))
    similar = similar_rows(model=model, row=0, limit=9).tolist()
    assert similar[:3] == [2, 3, 4]
    assert similar.index(1) > 2  # after the well-known movies of its genre, though nearest
    assert 0 not in similar


def test_a_person_with_no_ratings_gets_the_prior_order():
    """Without ratings, the order is the prior's: the most liked first."""
    model = two_tastes()
    prior = np.linspace(1, -1, 10, dtype=np.float32)
    model = replace(model, signals=replace(model.signals, prior=prior))
    taste = user_taste(model=model, movie_rows=np.array([], dtype=np.int64), scores=np.array([]), times=np.array([]),
                       user_row=0, learned=True)  # fmt: skip
    order = list_order(model=model, taste=taste, candidate_rows=np.arange(10)).tolist()
    assert order[:3] == [0, 1, 2]


@pytest.mark.parametrize("bad", ["rows", "shape"])
def test_the_artifact_check_refuses_broken_signals(bad):
    """Neighbour rows out of the catalogue, or a prior of the wrong length, make the artifact unservable."""
    model = two_tastes()
    signals: ListSignals = model.signals
    if bad == "rows":
        rows = signals.neighbour_rows.copy()
        rows[0, 0] = 99
        signals = replace(signals, neighbour_rows=rows)
    else:
        signals = replace(signals, prior=signals.prior[:-1])
    assert replace(model, signals=signals).problems()
    assert model.problems() == []


def test_a_card_without_a_near_movie_names_the_genre_the_person_likes():
    """A person who loves genre A and hates genre B: A's movies can say "because you like genre 0"; B's say nothing."""
    model = two_tastes()
    taste = taste_of(model, {0: 5.0, 1: 5.0, 5: 1.0, 6: 1.0})
    assert list_genre_reasons(model=model, taste=taste, movie_rows=np.array([2, 7])) == ["genre 0", None]


@pytest.mark.parametrize("limit", [0, 1, 3, 7, 12, 30, None])
def test_the_first_of_the_order_are_the_whole_order_s_first(limit):
    """Ties (many here) keep position order, and the movies behind come after every other, with or without a limit."""
    rng = np.random.default_rng(4)
    scores = rng.integers(0, 5, 30).astype(np.float64)
    behind = rng.random(30) < 0.4
    whole = np.lexsort((-scores, behind))
    np.testing.assert_array_equal(order_first(scores=scores, behind=behind, limit=limit), whole[:limit])
