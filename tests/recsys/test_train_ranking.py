"""The ranking model: it learns who likes what, numpy serves exactly what torch trained, fold-in and lists."""

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.evaluation import evaluation_run
from recsys.metrics import top_k_unseen
from recsys.params import RankingParams
from recsys.ranking_model import (
    EMPTY_FOLD_IN,
    RankingModel,
    ranking_fold_in,
    ranking_reasons,
    ranking_weights,
    rating_ages,
)
from recsys.train_ranking import (
    MISSING_COLUMNS,
    NO_RATINGS,
    PairDots,
    SampledSoftmaxLoss,
    SoftmaxFactors,
    UserTargets,
    WeightedSoftmaxLoss,
    _accidental_hits,
    ranking_export,
    ranking_learner,
    ranking_train,
    users_per_batch,
)
from recsys.trainers import ranked_trainer

# Small enough to train in a second: 8 factors, many steps on few users.
PARAMS = RankingParams(n_factors=8, epochs=40, lr=5e-2, bs=16, user_ridge=1.0)
GROUP_A = list(range(100, 110))  # movie ids that the users of group A watch
GROUP_B = list(range(200, 210))


def two_tastes(n_users: int = 60, seed: int = 0) -> pd.DataFrame:
    """Even users watch 6 of group A's movies, odd users 6 of group B's; all rated 4 or 5, at distinct times."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, n_users + 1):
        group = GROUP_A if user % 2 == 0 else GROUP_B
        for i, movie in enumerate(rng.choice(group, size=6, replace=False)):
            rows.append((user, int(movie), float(rng.choice([4.0, 5.0])), 1_000_000 + 100 * user + i))
    return pd.DataFrame(rows, columns=["user", "movie", "rating", "timestamp"])


def top_k(model: RankingModel, vector: np.ndarray, rated: list[int], k: int) -> np.ndarray:
    """Movie ids of the k best scores for one user vector, never a rated row."""
    seen = np.zeros((1, len(model.movie_ids)), dtype=bool)
    seen[0, rated] = True
    return model.movie_ids[top_k_unseen(model.scores(vector)[None], seen, k)[0]]


@pytest.fixture(scope="module")
def trained() -> tuple[pd.DataFrame, RankingModel]:
    ratings = two_tastes()
    return ratings, ranking_train(ratings=ratings, params=PARAMS, seed=0)


def test_learns_an_obvious_preference(trained):
    """Every user's three best unseen movies come from the group of movies that users like them watch."""
    ratings, model = trained
    movie_row = {int(m): i for i, m in enumerate(model.movie_ids)}
    for row, user in enumerate(model.user_ids):
        rated = [movie_row[m] for m in ratings[ratings.user == user].movie]
        top = top_k(model, model.user_factors[row], rated, 3)
        assert set(top) <= set(GROUP_A if user % 2 == 0 else GROUP_B)


def test_numpy_scores_equal_the_torch_model():
    """The serving arrays give the same logits as the trained torch module, to float precision."""
    ratings = two_tastes(n_users=20)
    learner, user_ids, movie_ids = ranking_learner(ratings=ratings, params=PARAMS)
    with learner.no_bar(), learner.no_logging():
        learner.fit_one_cycle(3, PARAMS.lr)
    model = ranking_export(learner=learner, user_ids=user_ids, movie_ids=movie_ids, params=PARAMS)
    learner.model.eval()
    with torch.no_grad():
        expected = learner.model(torch.arange(len(user_ids))).numpy()
    np.testing.assert_allclose(model.scores(model.user_factors), expected, rtol=1e-5, atol=1e-5)
    assert list(model.user_ids) == sorted(ratings.user.unique())
    assert list(model.movie_ids) == sorted(ratings.movie.unique())


def test_the_sparse_loss_is_the_dense_softmax_likelihood():
    """Gathering only the rated movies' logits gives the weighted log-likelihood over a dense target matrix, for any
    batch of users in any order (a user with no rating contributes only their prior)."""
    rng = np.random.default_rng(0)
    n_users, n_movies = 7, 30
    user_rows = rng.integers(0, n_users - 1, 60)  # the last user rated nothing
    movie_rows = rng.integers(0, n_movies, 60)
    keep = np.unique(user_rows * n_movies + movie_rows, return_index=True)[1]
    user_rows, movie_rows = user_rows[keep], movie_rows[keep]
    weights = rng.uniform(0.1, 1.0, len(keep))
    model = SoftmaxFactors(n_users, n_movies, 4)
    targets = UserTargets(user_rows=user_rows, movie_rows=movie_rows, weights=weights, n_users=n_users)
    loss = WeightedSoftmaxLoss(model, ridge=2.0, targets=targets)
    dense = torch.zeros(n_users, n_movies)
    dense[torch.from_numpy(user_rows), torch.from_numpy(movie_rows)] = torch.from_numpy(weights).float()
    users = torch.tensor([6, 3, 0, 3, 5])
    with torch.no_grad():
        logits = model(users)
        expected = -(torch.log_softmax(logits, dim=1) * dense[users]).sum(dim=1)
        expected = (expected + 1.0 * model.user_factors(users).pow(2).sum(dim=1)).mean()
        assert float(loss(logits, users)) == pytest.approx(float(expected), rel=1e-5)


def test_the_sampled_loss_estimates_the_full_one():
    """With enough draws, the sampled softmax's loss is the full softmax's: each user's own movies counted exactly,
    the rest through draws corrected for their probability, a draw of a user's own movie left out (a skewed
    proposal, so that an uncorrected draw would show)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    n_users, n_movies = 6, 40
    user_rows = np.repeat(np.arange(n_users), 5)
    movie_rows = np.concatenate([rng.choice(n_movies, 5, replace=False) for _ in range(n_users)])
    targets = UserTargets(
        user_rows=user_rows, movie_rows=movie_rows, weights=rng.uniform(0.5, 1.0, len(user_rows)), n_users=n_users
    )
    model = SoftmaxFactors(n_users, n_movies, 4, sampled=True)
    with torch.no_grad():
        model.movie_factors.weight.normal_(std=1.0)
        model.user_factors.weight.normal_(std=1.0)
    proposal = np.arange(1, n_movies + 1, dtype=np.float64) ** 2
    sampled = SampledSoftmaxLoss(model, 2.0, targets, proposal=proposal / proposal.sum(), samples=400_000)
    full = WeightedSoftmaxLoss(model, 2.0, targets)
    users = torch.tensor([5, 0, 2, 3])
    with torch.no_grad():
        model.train()
        estimate = float(sampled(model(users), users))
        model.eval()
        exact = float(full(model(users), users))
    assert estimate == pytest.approx(exact, rel=0.01)


def test_the_sampled_softmax_learns_an_obvious_preference():
    ratings = two_tastes()
    model = ranking_train(ratings=ratings, params=replace(PARAMS, full_softmax_movies=0, softmax_samples=8), seed=0)
    movie_row = {int(m): i for i, m in enumerate(model.movie_ids)}
    for row, user in enumerate(model.user_ids):
        rated = [movie_row[m] for m in ratings[ratings.user == user].movie]
        assert set(top_k(model, model.user_factors[row], rated, 3)) <= set(GROUP_A if user % 2 == 0 else GROUP_B)


def test_batches_grow_past_the_cap_on_batches_an_epoch():
    params = RankingParams(bs=128, max_batches=100)
    assert users_per_batch(params=params, n_users=943) == 128
    assert users_per_batch(params=params, n_users=162_541) == 1_626


def test_fold_in_solves_the_training_problem_of_a_known_user(trained):
    """Folding in a training user from their own ratings lands near the vector that training learned."""
    ratings, model = trained
    movie_row = {int(m): i for i, m in enumerate(model.movie_ids)}
    for row in (0, 1):
        mine = ratings[ratings.user == model.user_ids[row]]
        vector = ranking_fold_in(
            model=model,
            movie_rows=[movie_row[m] for m in mine.movie],
            scores=mine.rating.to_numpy(),
            timestamps=mine.timestamp.to_numpy(),
        )
        learned = model.user_factors[row]
        cosine = vector @ learned / (np.linalg.norm(vector) * np.linalg.norm(learned))
        assert cosine > 0.95


def test_fold_in_places_a_new_user_by_their_taste(trained):
    """A new user who rated three of group B's movies gets group B's other movies first."""
    _, model = trained
    movie_row = {int(m): i for i, m in enumerate(model.movie_ids)}
    rated = [movie_row[m] for m in GROUP_B[:3]]
    vector = ranking_fold_in(model=model, movie_rows=rated, scores=np.array([5.0, 4.0, 5.0]))
    top = top_k(model, vector, rated, 5)
    assert set(top) <= set(GROUP_B[3:])


def test_fold_in_refuses_a_user_with_no_known_movie(trained):
    """Placing a user needs at least one rating: the error says so."""
    _, model = trained
    with pytest.raises(ValueError, match=EMPTY_FOLD_IN):
        ranking_fold_in(model=model, movie_rows=[], scores=np.array([]))


def test_reasons_are_the_nearest_rated_movies(trained):
    """A recommended group-A movie is explained by a rated group-A movie, and likewise for group B."""
    _, model = trained
    movie_row = {int(m): i for i, m in enumerate(model.movie_ids)}
    rated = [movie_row[GROUP_A[0]], movie_row[GROUP_B[0]]]
    reasons = ranking_reasons(model=model, movie_rows=[movie_row[GROUP_A[5]], movie_row[GROUP_B[5]]], rated_rows=rated)
    assert reasons.tolist() == rated


def test_aligned_follows_another_vocabulary(trained):
    """Rows reorder to another model's ids; an unknown movie ranks last and an unknown user is the average user."""
    _, model = trained
    movie_ids = np.array([GROUP_B[0], 999, GROUP_A[0]])
    user_ids = np.array([model.user_ids[1], 12345])
    aligned = model.aligned(user_ids=user_ids, movie_ids=movie_ids)
    np.testing.assert_array_equal(aligned.user_factors[0], model.user_factors[1])
    np.testing.assert_array_equal(aligned.user_factors[1], model.user_mean)
    np.testing.assert_allclose(model.user_mean, model.user_factors.mean(axis=0), rtol=1e-5)
    scores = aligned.scores(aligned.user_factors[1])
    assert scores.argmin() == 1
    assert aligned.movie_bias[2] == model.movie_bias[list(model.movie_ids).index(GROUP_A[0])]


def test_weights_favour_liked_and_recent_ratings():
    """A liked rating weighs 1 and another one less; each user's oldest rating is discounted by the recency."""
    ages = rating_ages(np.array([0, 0, 0, 1]), np.array([30, 10, 20, 5]))
    np.testing.assert_allclose(ages, [0.0, 1.0, 0.5, 0.0])
    weights = ranking_weights(scores=np.array([5.0, 4.0, 3.0, 1.0]), ages=ages, other_weight=0.3, recency=1.0)
    np.testing.assert_allclose(weights, [1.0, np.exp(-1.0), 0.3 * np.exp(-0.5), 0.3])


def test_training_refuses_bad_input():
    """Missing columns and empty ratings are refused with messages that say what is wrong."""
    with pytest.raises(ValueError, match=MISSING_COLUMNS.format(missing="timestamp")):
        ranking_train(ratings=pd.DataFrame({"user": [1], "movie": [1], "rating": [4.0]}))
    with pytest.raises(ValueError, match=NO_RATINGS):
        ranking_train(ratings=pd.DataFrame(columns=["user", "movie", "rating", "timestamp"]))


def test_serving_module_does_not_import_torch():
    """The web process can score, fold in and explain without torch or fastai."""
    code = (
        "import sys, recsys.ranking_model, recsys.lists; sys.exit(any(m in sys.modules for m in ('torch', 'fastai')))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_ranked_trainer_through_the_evaluation_protocol():
    """The whole retrain under `evaluate`: ratings predicted by the rating model, lists as the site makes them."""
    ratings = two_tastes()
    test = ratings.groupby("user").tail(1)
    train = ratings.drop(test.index)
    result = evaluation_run(train=train, test=test, trainer=ranked_trainer(ranking_params=PARAMS))
    assert 0.0 < result.metrics["rmse"] < 2.0
    assert result.metrics["ndcg@10"] > 0.3  # popularity cannot tell the two tastes apart; the model can
    rated = set(zip(train.user, train.movie, strict=True))
    assert not any((u, m) in rated for u, m in zip(result.top_k.user, result.top_k.movie, strict=True))
    recommender = ranked_trainer(ranking_params=PARAMS)(train)
    model = recommender.model
    assert model.ranking is not None and model.signals is not None and model.problems() == []


def test_accidental_hits_mark_every_copy_of_a_users_own_movie_among_the_draws():
    draws = torch.tensor([3, 7, 3, 9, 0])
    positions, movies = torch.tensor([0, 0, 1, 2]), torch.tensor([3, 5, 9, 1])
    expected = torch.tensor(
        [[True, False, True, False, False], [False, False, False, True, False], [False, False, False, False, False]]
    )
    assert torch.equal(_accidental_hits(draws, positions, movies, 3, 10), expected)


def test_pair_dots_and_their_gradients_are_the_gathered_products():
    """The sparse products give the one-line form's values and gradients."""
    generator = torch.Generator().manual_seed(0)
    users = torch.randn(7, 5, dtype=torch.float64, generator=generator, requires_grad=True)
    movies = torch.randn(11, 5, dtype=torch.float64, generator=generator, requires_grad=True)
    # Distinct pairs grouped by user, as a batch's targets are; a user with no pair (row 3) among them.
    pairs = torch.randperm(7 * 11, generator=generator)[:40].sort().values
    pairs = pairs[pairs // 11 != 3]
    positions, rows = pairs // 11, pairs % 11
    expected = (users[positions] * movies[rows]).sum(dim=1)
    torch.testing.assert_close(PairDots.apply(users, movies, positions, rows), expected)
    weights = torch.randn(len(positions), dtype=torch.float64, generator=generator)
    wanted = torch.autograd.grad((expected * weights).sum(), (users, movies))
    got = torch.autograd.grad((PairDots.apply(users, movies, positions, rows) * weights).sum(), (users, movies))
    for ours, theirs in zip(got, wanted, strict=True):
        torch.testing.assert_close(ours, theirs)
    assert torch.autograd.gradcheck(PairDots.apply, (users, movies, positions[:30], rows[:30]))


def test_a_pair_given_twice_is_one_target_of_both_weights():
    targets = UserTargets(
        user_rows=np.array([1, 0, 1, 1]),
        movie_rows=np.array([2, 0, 2, 1]),
        weights=np.array([0.5, 1.0, 0.3, 1.0]),
        n_users=3,
    )
    positions, movies, weights = targets.batch(torch.tensor([1, 0, 2]))
    assert positions.tolist() == [0, 0, 1]
    assert movies.tolist() == [1, 2, 0]
    np.testing.assert_allclose(weights.numpy(), [1.0, 0.8, 1.0], rtol=1e-6)
