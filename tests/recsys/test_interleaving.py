"""Team-draft interleaving: the draft of the paper, the same list for the same seed, credit to the team of a click
or a like, and each user's wins, losses and ties."""

import numpy as np
import pytest

from recsys.interleaving import (
    COINS_TOO_FEW,
    K_NOT_POSITIVE,
    LIST_DUPLICATES,
    LIST_EMPTY,
    ROWS_SHAPE,
    ROWS_TOO_SHORT,
    TALLY_LENGTHS,
    TEAMS_MISMATCH,
    Credit,
    Interleaved,
    Team,
    credit_rows,
    interleave,
    interleave_rows,
    interleaving_coins,
    interleaving_seed,
    user_tallies,
)

A, B = Team.A, Team.B
LIST_A = [1, 2, 3, 4]
LIST_B = [2, 5, 1, 6]


def drafted(coins: list[bool], list_a: list[int] = LIST_A, list_b: list[int] = LIST_B) -> list[tuple[int, Team]]:
    movies, teams = interleave_rows(
        lists_a=np.array([list_a]), lists_b=np.array([list_b]), k=len(list_a), coins=np.array([coins])
    )
    return [(int(m), Team(int(t))) for m, t in zip(movies[0], teams[0], strict=True)]


def random_lists(rng: np.random.Generator, *, n: int, k: int, catalogue: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of lists of k distinct movies drawn from a small catalogue, so that they share many."""
    a = np.stack([rng.permutation(catalogue)[:k] for _ in range(n)])
    b = np.stack([rng.permutation(catalogue)[:k] for _ in range(n)])
    return a, b


def test_the_draft_follows_the_paper_where_a_shared_movie_goes_to_the_team_that_reaches_it_first() -> None:
    """B wins the first coin and takes 2, which A then passes over; A, behind, picks 1; level again, A wins the
    coin and takes 3 (its 2 is gone); B, behind, passes over 1 (shown) and takes 5."""
    assert drafted([False, True]) == [(2, B), (1, A), (3, A), (5, B)]
    assert drafted([True, True]) == [(1, A), (2, B), (3, A), (5, B)]
    assert drafted([True, False]) == [(1, A), (2, B), (5, B), (3, A)]


def test_every_draft_keeps_the_rules_of_team_draft() -> None:
    """On random overlapping lists: k distinct movies; after every pick the teams differ by at most one; each
    movie is its team's highest not shown before it, so each team's movies keep its list's order."""
    rng = np.random.default_rng(0)
    k = 8
    lists_a, lists_b = random_lists(rng, n=300, k=k, catalogue=12)
    movies, teams = interleave_rows(lists_a=lists_a, lists_b=lists_b, k=k, coins=rng.random((300, k // 2)) < 0.5)
    for row in range(300):
        assert len(set(movies[row])) == k
        for position in range(k):
            picks_a = int((teams[row, : position + 1] == A).sum())
            assert abs(2 * picks_a - (position + 1)) <= 1
            own = lists_a[row] if teams[row, position] == A else lists_b[row]
            shown = set(movies[row, :position])
            assert movies[row, position] == next(m for m in own if m not in shown)


def test_the_same_seed_shows_the_same_list_and_other_users_see_other_drafts() -> None:
    """interleaving_seed is a pure function of comparison, user and lists; each seed fixes the list, and over many
    users the first pick goes to each team about half the time (within 4 standard deviations of 500 of 1000)."""
    seed = interleaving_seed(comparison_id=3, user_id=7, list_a=LIST_A, list_b=LIST_B)
    assert seed == interleaving_seed(comparison_id=3, user_id=7, list_a=LIST_A, list_b=LIST_B)
    assert 0 <= seed < 2**63
    first = interleave(list_a=LIST_A, list_b=LIST_B, k=4, seed=seed)
    assert interleave(list_a=LIST_A, list_b=LIST_B, k=4, seed=seed) == first
    firsts = [
        interleave(
            list_a=LIST_A,
            list_b=LIST_B,
            k=4,
            seed=interleaving_seed(comparison_id=3, user_id=user, list_a=LIST_A, list_b=LIST_B),
        ).teams[0]
        for user in range(1000)
    ]
    assert abs(firsts.count(A) - 500) <= 4 * np.sqrt(1000 * 0.25)


def test_new_lists_draw_new_coins() -> None:
    """The seed changes with either list and with the comparison: a user whose lists changed is not bound to the
    coins of the lists before."""
    base = {"comparison_id": 1, "user_id": 1, "list_a": LIST_A, "list_b": LIST_B}
    seeds = {
        interleaving_seed(**base),
        interleaving_seed(**{**base, "list_a": [1, 2, 4, 3]}),
        interleaving_seed(**{**base, "list_b": [2, 5, 1, 7]}),
        interleaving_seed(**{**base, "comparison_id": 2}),
        interleaving_seed(**{**base, "user_id": 2}),
    }
    assert len(seeds) == 5


def test_coins_are_fixed_bits_of_the_seed_for_any_length() -> None:
    """One coin per round of two picks, the first ones the same whatever k asks for; a long list gets its own."""
    assert interleaving_coins(seed=5, k=7).shape == (4,)
    long = interleaving_coins(seed=5, k=2000)
    assert long.shape == (1000,)
    assert (long[:4] == interleaving_coins(seed=5, k=7)).all()
    assert 400 < long.sum() < 600


def test_one_list_at_a_time_is_the_draft_of_many() -> None:
    """interleave is interleave_rows with the seed's coins: the site's list and the simulator's are one draft."""
    rng = np.random.default_rng(1)
    lists_a, lists_b = random_lists(rng, n=50, k=10, catalogue=15)
    seeds = range(50)
    coins = np.stack([interleaving_coins(seed=seed, k=10) for seed in seeds])
    movies, teams = interleave_rows(lists_a=lists_a, lists_b=lists_b, k=10, coins=coins)
    for row, seed in enumerate(seeds):
        one = interleave(list_a=list(lists_a[row]), list_b=list(lists_b[row]), k=10, seed=seed)
        assert one.movie_ids == tuple(movies[row])
        assert one.teams == tuple(Team(t) for t in teams[row])


def test_identical_lists_show_that_list_with_teams_drawn_in_pairs() -> None:
    """When both versions give the same list, it is shown as it is, and each pair of positions is one A, one B."""
    shown = interleave(list_a=LIST_A, list_b=LIST_A, k=4, seed=11)
    assert shown.movie_ids == tuple(LIST_A)
    assert sorted(shown.teams[:2]) == [A, B] and sorted(shown.teams[2:]) == [A, B]


def test_the_list_is_as_long_as_the_shorter_list_allows() -> None:
    """Only the first k of each list can be picked; with a list shorter than k, the list is as long as it."""
    long = list(range(100, 130))
    assert len(interleave(list_a=long, list_b=long[::-1], k=10, seed=0).movie_ids) == 10
    assert len(interleave(list_a=[1, 2, 3], list_b=long, k=10, seed=0).movie_ids) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"list_a": [1, 2, 1], "list_b": [3, 4, 5], "k": 3}, LIST_DUPLICATES.format(team="A", movie=1)),
        ({"list_a": [1, 2, 3], "list_b": [], "k": 3}, LIST_EMPTY.format(team="B")),
        ({"list_a": [1, 2, 3], "list_b": [4, 5, 6], "k": 0}, K_NOT_POSITIVE.format(k=0)),
    ],
)
def test_bad_lists_are_refused_with_a_reason(kwargs: dict, message: str) -> None:
    """A list that repeats a movie, an empty list and a k below 1 are errors that say so."""
    with pytest.raises(ValueError) as error:
        interleave(seed=0, **kwargs)
    assert str(error.value) == message


def test_bad_rows_are_refused_with_a_reason() -> None:
    """interleave_rows wants two arrays of one shape, rows of at least k and a coin for each round."""
    rows = np.arange(12).reshape(3, 4)
    with pytest.raises(ValueError) as error:
        interleave_rows(lists_a=rows, lists_b=rows[:2], k=4, coins=np.ones((3, 2), dtype=bool))
    assert str(error.value) == ROWS_SHAPE.format(a=(3, 4), b=(2, 4))
    with pytest.raises(ValueError) as error:
        interleave_rows(lists_a=rows, lists_b=rows, k=5, coins=np.ones((3, 3), dtype=bool))
    assert str(error.value) == ROWS_TOO_SHORT.format(k=5, n=4)
    with pytest.raises(ValueError) as error:
        interleave_rows(lists_a=rows, lists_b=rows, k=4, coins=np.ones((3, 1), dtype=bool))
    assert str(error.value) == COINS_TOO_FEW.format(need=2, k=4, shape=(3, 1))


def test_a_click_credits_the_team_of_the_movie_clicked() -> None:
    """Clicks count for the team whose movie was clicked, once each; a movie not in the list counts for nobody;
    the team with more wins the impression, equal counts tie."""
    shown = Interleaved(movie_ids=(2, 1, 3, 5), teams=(B, A, A, B))
    assert shown.credit(movie_ids=[1, 3, 5]) == Credit(a=2, b=1)
    assert shown.credit(movie_ids=[1, 3, 5]).winner == A
    assert shown.credit(movie_ids=[2, 2, 99]) == Credit(a=0, b=1)
    assert shown.credit(movie_ids=[2, 2, 99]).winner == B
    assert shown.credit(movie_ids=[]).winner is None
    assert shown.credit(movie_ids=[1, 5]).winner is None
    assert shown.team_of(99) is None


def test_a_like_is_a_rating_of_four_or_more() -> None:
    """like_credit counts the movies rated 4 or more: a 3.5 on A's movie is no like, a 4 on B's is."""
    shown = Interleaved(movie_ids=(2, 1, 3, 5), teams=(B, A, A, B))
    assert shown.like_credit(scores={1: 3.5, 5: 4.0, 3: 5.0, 2: 1.0}) == Credit(a=1, b=1)
    assert shown.like_credit(scores={1: 3.5, 5: 4.0}).winner == B


def test_an_interleaved_list_has_a_team_per_movie() -> None:
    """Built back from stored rows, a list whose teams do not match its movies is an error that says so."""
    with pytest.raises(ValueError) as error:
        Interleaved(movie_ids=(1, 2), teams=(A,))
    assert str(error.value) == TEAMS_MISMATCH.format(movies=2, teams=1)


def test_credit_rows_is_the_credit_of_each_impression() -> None:
    """Many impressions at once: each row's hits on A's positions and on B's."""
    teams = np.array([[A, B, A, B], [B, A, B, A]])
    hits = np.array([[True, True, True, False], [False, False, True, False]])
    credit_a, credit_b = credit_rows(teams=teams, hits=hits)
    assert credit_a.tolist() == [2, 0]
    assert credit_b.tolist() == [1, 1]


def test_each_user_prefers_the_team_that_won_more_of_their_impressions() -> None:
    """User 7 wins twice and loses once (prefers A), user 3 loses once (B), user 5 ties twice and wins and loses
    once each (tied)."""
    tallies = user_tallies(
        user_ids=np.array([7, 3, 7, 5, 7, 5, 5, 5]),
        credit_a=np.array([2, 0, 1, 0, 0, 1, 0, 1]),
        credit_b=np.array([1, 1, 0, 0, 3, 1, 1, 0]),
    )
    assert tallies.user_ids.tolist() == [3, 5, 7]
    assert tallies.wins.tolist() == [0, 1, 2]
    assert tallies.losses.tolist() == [1, 1, 1]
    assert tallies.ties.tolist() == [0, 2, 0]
    assert tallies.preferences().tolist() == [-1, 0, 1]
    assert tallies.counts() == (1, 1, 1)


def test_tallies_need_one_entry_per_impression() -> None:
    """user_ids, credit_a and credit_b of different lengths are an error that says so."""
    with pytest.raises(ValueError) as error:
        user_tallies(user_ids=np.array([1, 2]), credit_a=np.array([1]), credit_b=np.array([0, 0]))
    assert str(error.value) == TALLY_LENGTHS.format(lengths=(2, 1, 2))
