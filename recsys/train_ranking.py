"""Training of the ranking model: a fastai Learner over a torch factor model with a softmax over the catalogue.

Why not rank by predicted rating: the rating model says how much a user would like a movie *if* they watched
it, so it ranks obscure movies with a few glowing ratings first. The list needs the movies a user will rate
highly *next*. This model learns that from the ratings themselves: per user, a softmax over every movie
(a multinomial likelihood, as in Mult-VAE, with a user vector instead of an encoder) whose targets are the
user's rated movies, the liked and the recent ones weighing more, and the movies they opened or put on their
watchlist without rating them yet (``recsys.implicit_feedback``). At MovieLens scale the full softmax is
cheaper than sampling negatives. Serving reads the arrays through ``recsys.ranking_model`` (numpy only).
"""

import math
import warnings
from typing import Any

# Imported for what they add to Learner: no_bar, fit_one_cycle.
import fastai.callback.progress
import fastai.callback.schedule  # noqa: F401
import numpy as np
import pandas as pd
import torch
from fastai.data.core import DataLoaders
from fastai.learner import Learner
from fastai.torch_core import set_seed
from torch import nn

from recsys.implicit_feedback import implicit_targets, signals_unrated
from recsys.loaders import UserRowBatches
from recsys.optimizer import fused_adam
from recsys.params import RankingParams
from recsys.progress import LossBar
from recsys.ranking_model import RankingModel, ranking_weights, rating_ages

NO_RATINGS = "cannot train the ranking model on no ratings"
MISSING_COLUMNS = "ratings need the columns user, movie, rating and timestamp; missing: {missing}"


class SoftmaxFactors(nn.Module):
    """Logits of every movie for a batch of users: user vector . movie vector + movie bias.

    ``sampled``: while training, the forward pass gives the batch's user vectors alone, and the loss scores only
    the movies it samples (SampledSoftmaxLoss)."""

    def __init__(self, n_users: int, n_movies: int, n_factors: int, *, sampled: bool = False) -> None:
        super().__init__()
        self.sampled = sampled
        self.user_factors = nn.Embedding(n_users, n_factors)
        self.movie_factors = nn.Embedding(n_movies, n_factors)
        self.movie_bias = nn.Parameter(torch.zeros(n_movies))
        for embedding in (self.user_factors, self.movie_factors):
            nn.init.normal_(embedding.weight, std=0.01)

    def forward(self, users: torch.Tensor) -> torch.Tensor:
        vectors = self.user_factors(users)
        if self.sampled and self.training:
            return vectors
        return vectors @ self.movie_factors.weight.T + self.movie_bias


class UserTargets:
    """Every user's rated movies and their weights, row by row (compressed sparse rows): the softmax's targets
    without a dense users x movies matrix, which at ml-25m's shape alone would be 38 GB."""

    def __init__(self, *, user_rows: np.ndarray, movie_rows: np.ndarray, weights: np.ndarray, n_users: int) -> None:
        order = np.lexsort((movie_rows, user_rows))
        users, movies = user_rows[order], movie_rows[order]
        # A pair given twice is one target of both weights: its movie is one term of the softmax's normaliser.
        first = np.r_[True, (users[1:] != users[:-1]) | (movies[1:] != movies[:-1])]
        weights = np.add.reduceat(np.asarray(weights, dtype=np.float64)[order], np.flatnonzero(first))
        counts = np.bincount(users[first], minlength=n_users)
        self.starts = torch.from_numpy(np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64))
        self.lengths = torch.from_numpy(counts.astype(np.int64))
        self.movies = torch.from_numpy(movies[first].astype(np.int64))
        self.weights = torch.from_numpy(weights.astype(np.float32))

    def to(self, device: torch.device) -> "UserTargets":
        for name in ("starts", "lengths", "movies", "weights"):
            setattr(self, name, getattr(self, name).to(device))
        return self

    def batch(self, users: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For a batch of user rows: each target's position in the batch, its movie row and its weight."""
        lengths = self.lengths[users]
        positions = torch.repeat_interleave(torch.arange(len(users), device=users.device), lengths)
        firsts = torch.cumsum(lengths, 0) - lengths
        offsets = torch.arange(int(lengths.sum()), device=users.device) - torch.repeat_interleave(firsts, lengths)
        index = torch.repeat_interleave(self.starts[users], lengths) + offsets
        return positions, self.movies[index], self.weights[index]


class WeightedSoftmaxLoss:
    """Per user: minus the weighted log-likelihood of their rated movies plus ``ridge / 2 * |u|^2``; batch mean.

    With weights w_j on the rated movies j, -sum_j w_j log softmax(z)_j = (sum_j w_j) logsumexp(z) - sum_j w_j z_j:
    only the rated movies' logits are gathered, and no dense target row is ever built."""

    def __init__(self, model: SoftmaxFactors, ridge: float, targets: UserTargets) -> None:
        self.model, self.ridge, self.targets = model, ridge, targets

    def __call__(self, logits: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        if self.targets.movies.device != logits.device:
            self.targets.to(logits.device)
        positions, movies, weights = self.targets.batch(users)
        zeros = torch.zeros(len(users), device=logits.device, dtype=logits.dtype)
        totals = zeros.index_add(0, positions, weights)
        picked = zeros.index_add(0, positions, weights * logits[positions, movies])
        nll = totals * torch.logsumexp(logits, dim=1) - picked
        prior = self.ridge / 2 * self.model.user_factors(users).pow(2).sum(dim=1)
        return (nll + prior).mean()


class PairDots(torch.autograd.Function):
    """``(users[positions] * movies[rows]).sum(1)``: each (user, movie) pair's dot product, for distinct pairs
    grouped by user (``positions`` ascending, as ``UserTargets.batch`` gives them).

    The pairs are the pattern of a sparse [users, movies] CSR matrix: the dots are a sampled matrix product
    (SDDMM), and the gradients two sparse-dense products (SpMM). The one-line form gathers two [pairs, factors]
    tensors, and its backward accumulates through advanced indexing: most of a training step at ml-25m's shape
    (about 250,000 pairs a batch), where these took a sixth of the forward's time and a third of the backward's."""

    @staticmethod
    def forward(
        ctx: Any, users: torch.Tensor, movies: torch.Tensor, positions: torch.Tensor, rows: torch.Tensor
    ) -> torch.Tensor:
        counts = torch.bincount(positions, minlength=len(users))
        starts = torch.zeros(len(users) + 1, dtype=torch.long, device=users.device)
        starts[1:] = torch.cumsum(counts, 0)
        ctx.save_for_backward(users, movies, starts, rows)
        pattern = _pairs_matrix(starts, rows, torch.zeros(len(rows), dtype=users.dtype, device=users.device), movies)
        return torch.sparse.sampled_addmm(pattern, users, movies.T, beta=0.0).values()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, None, None]:
        users, movies, starts, rows = ctx.saved_tensors
        weights = _pairs_matrix(starts, rows, grad.contiguous(), movies)
        return weights @ movies, weights.t() @ users, None, None


def _pairs_matrix(starts: torch.Tensor, rows: torch.Tensor, values: torch.Tensor, movies: torch.Tensor) -> torch.Tensor:
    with warnings.catch_warnings():
        # "Sparse CSR tensor support is in beta state": the few operations used here are tested (test_train_ranking).
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(starts, rows, values, size=(len(starts) - 1, len(movies)))


class SampledSoftmaxLoss(WeightedSoftmaxLoss):
    """The same loss with the softmax's normaliser estimated, for catalogues too large to score whole each batch.

    Per batch, ``samples`` movies are drawn (with replacement) from ``proposal``, shared by the batch's users. Each
    user's log normaliser is the logsumexp of their own movies' logits, exactly, and of each draw's logit minus
    log(samples x its probability), an unbiased estimate of the other movies' sum of exp(logit); a draw that is
    one of the user's own movies is left out, being counted already (sampled softmax with the logQ correction and
    accidental hits removed, as in Jean et al. 2015 and TensorFlow's sampled_softmax_loss)."""

    def __init__(
        self, model: SoftmaxFactors, ridge: float, targets: UserTargets, *, proposal: np.ndarray, samples: int
    ) -> None:
        super().__init__(model, ridge, targets)
        self.proposal = torch.from_numpy(np.asarray(proposal, dtype=np.float32))
        # The own logits' dot products: bench/ranking_step.py swaps in the gathers they are measured against.
        self.pair_dots = PairDots.apply
        self.samples = samples

    def __call__(self, vectors: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        if vectors.shape[1] != self.model.user_factors.embedding_dim:  # evaluation: every movie's logits
            return super().__call__(vectors, users)
        if self.targets.movies.device != vectors.device:
            self.targets.to(vectors.device)
            self.proposal = self.proposal.to(vectors.device)
        positions, movies, weights = self.targets.batch(users)
        movie_factors, movie_bias = self.model.movie_factors.weight, self.model.movie_bias
        own = self.pair_dots(vectors, movie_factors, positions, movies) + movie_bias[movies]
        draws = torch.multinomial(self.proposal, self.samples, replacement=True)
        drawn = vectors @ movie_factors[draws].T + movie_bias[draws] - torch.log(self.samples * self.proposal[draws])
        drawn = drawn.masked_fill(
            _accidental_hits(draws, positions, movies, len(users), len(self.proposal)), -torch.inf
        )
        # A logsumexp over each user's own logits and draws: shift by each user's largest for stability.
        peak = torch.full((len(users),), -torch.inf, device=vectors.device, dtype=vectors.dtype)
        peak = torch.maximum(peak.scatter_reduce(0, positions, own, "amax"), drawn.max(dim=1).values).detach()
        zeros = torch.zeros(len(users), device=vectors.device, dtype=vectors.dtype)
        total = zeros.index_add(0, positions, torch.exp(own - peak[positions])) + torch.exp(drawn - peak[:, None]).sum(
            1
        )
        totals = zeros.index_add(0, positions, weights)
        picked = zeros.index_add(0, positions, weights * own)
        nll = totals * (peak + torch.log(total)) - picked
        prior = self.ridge / 2 * vectors.pow(2).sum(dim=1)
        return (nll + prior).mean()


def _accidental_hits(
    draws: torch.Tensor, positions: torch.Tensor, movies: torch.Tensor, n_users: int, n_movies: int
) -> torch.Tensor:
    """[n_users, draws]: whether each draw is one of that user's own movies, by a lookup of each own movie's place
    among the distinct draws (torch.isin on the pairs took most of a step at ml-25m's shape)."""
    distinct, copy_of = torch.unique(draws, return_inverse=True)
    slot = torch.full((n_movies,), -1, dtype=torch.long, device=draws.device)
    slot[distinct] = torch.arange(len(distinct), device=draws.device)
    found = slot[movies]
    hit = torch.zeros((n_users, len(distinct)), dtype=torch.bool, device=draws.device)
    hit[positions[found >= 0], found[found >= 0]] = True
    return hit[:, copy_of]


def _user_and_movie_params(model: SoftmaxFactors) -> list[list[torch.Tensor]]:
    return [[model.user_factors.weight], [model.movie_factors.weight, model.movie_bias]]


def users_per_batch(*, params: RankingParams, n_users: int) -> int:
    """``params.bs``, grown so that an epoch has at most ``params.max_batches`` batches."""
    return max(params.bs, math.ceil(n_users / params.max_batches))


def ranking_learner(
    *, ratings: pd.DataFrame, params: RankingParams, implicit: pd.DataFrame | None = None
) -> tuple[Learner, np.ndarray, np.ndarray]:
    """The fastai Learner for ``ratings``, plus the ``implicit`` signals (user, movie, signal) of the users and
    movies that the ratings know, with the user and movie ids of its rows (sorted)."""
    missing = {"user", "movie", "rating", "timestamp"} - set(ratings.columns)
    if missing:
        raise ValueError(MISSING_COLUMNS.format(missing=", ".join(sorted(missing))))
    if ratings.empty:
        raise ValueError(NO_RATINGS)
    user_ids, user_rows = np.unique(ratings["user"].to_numpy(np.int64), return_inverse=True)
    movie_ids, movie_rows = np.unique(ratings["movie"].to_numpy(np.int64), return_inverse=True)
    values = ranking_weights(
        scores=ratings["rating"].to_numpy(),
        ages=rating_ages(user_rows, ratings["timestamp"].to_numpy()),
        other_weight=params.other_weight,
        recency=params.recency,
    )
    if implicit is not None:
        user_rows, movie_rows, values = _with_implicit_targets(
            user_rows=user_rows,
            movie_rows=movie_rows,
            values=values,
            targets=implicit_targets(
                signals=signals_unrated(signals=implicit, ratings=ratings),
                click_weight=params.click_weight,
                watchlist_weight=params.watchlist_weight,
            ),
            user_ids=user_ids,
            movie_ids=movie_ids,
        )
    targets = UserTargets(user_rows=user_rows, movie_rows=movie_rows, weights=values, n_users=len(user_ids))
    bs = users_per_batch(params=params, n_users=len(user_ids))
    train = UserRowBatches(n=len(user_ids), bs=bs, shuffle=True, indexed=True)
    # Every user trains on all their ratings: the retrain holds nothing out (the benchmarks do).
    dls = DataLoaders(train, UserRowBatches(n=0, bs=bs, indexed=True))
    dls.n_inp = 1
    sampled = len(movie_ids) > params.full_softmax_movies
    loss: WeightedSoftmaxLoss
    model = SoftmaxFactors(len(user_ids), len(movie_ids), params.n_factors, sampled=sampled)
    if sampled:
        # Drawn by popularity flattened (count^0.75, as word2vec draws its negatives): popular movies, whose logits
        # weigh most in the normaliser, are drawn often; the correction keeps the estimate unbiased for every movie.
        proposal = np.bincount(movie_rows, minlength=len(movie_ids)).astype(np.float64) ** 0.75
        loss = SampledSoftmaxLoss(
            model, params.user_ridge, targets, proposal=proposal / proposal.sum(), samples=params.softmax_samples
        )
    else:
        loss = WeightedSoftmaxLoss(model, params.user_ridge, targets)
    learner = Learner(dls, model, loss_func=loss, splitter=_user_and_movie_params, opt_func=fused_adam)
    # fastai's Recorder grew this learner's memory by about 0.4 MB a batch at 1M ratings (13 GB into a 10M
    # retrain's ranking model, measured); nothing reads its losses here.
    learner.remove_cb(learner.recorder)
    return learner, user_ids, movie_ids


def _with_implicit_targets(
    *,
    user_rows: np.ndarray,
    movie_rows: np.ndarray,
    values: np.ndarray,
    targets: tuple[np.ndarray, np.ndarray, np.ndarray],
    user_ids: np.ndarray,
    movie_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # A user or movie without a rating has no row to learn: their signals wait until they have one.
    users, movies, weights = targets
    known = np.isin(users, user_ids) & np.isin(movies, movie_ids)
    return (
        np.concatenate([user_rows, np.searchsorted(user_ids, users[known])]),
        np.concatenate([movie_rows, np.searchsorted(movie_ids, movies[known])]),
        np.concatenate([values, weights[known]]),
    )


def ranking_train(
    *,
    ratings: pd.DataFrame,
    params: RankingParams | None = None,
    seed: int | None = None,
    implicit: pd.DataFrame | None = None,
    progress: bool = False,
) -> RankingModel:
    """Train the ranking model on ``ratings`` (user, movie, rating, timestamp) and the ``implicit`` signals (user,
    movie, signal; none by default), and return its serving arrays. ``progress``: a bar on stderr."""
    params = params or RankingParams()
    if seed is not None:
        set_seed(seed, reproducible=True)
    learner, user_ids, movie_ids = ranking_learner(ratings=ratings, params=params, implicit=implicit)
    with learner.no_bar(), learner.no_logging():
        # The user vectors' prior is in the loss (fold-in must solve the same problem): no decay on them.
        learner.fit_one_cycle(
            params.epochs, params.lr, wd=[0.0, params.wd], cbs=[LossBar(desc="ranking model")] if progress else []
        )
    return ranking_export(learner=learner, user_ids=user_ids, movie_ids=movie_ids, params=params)


def ranking_export(
    *, learner: Learner, user_ids: np.ndarray, movie_ids: np.ndarray, params: RankingParams
) -> RankingModel:
    """The trained learner's weights as the serving arrays."""
    model: SoftmaxFactors = learner.model
    user_factors = model.user_factors.weight.detach().cpu().numpy().astype(np.float32)
    return RankingModel(
        user_ids=user_ids,
        movie_ids=movie_ids,
        user_factors=user_factors,
        user_mean=user_factors.mean(axis=0),
        movie_factors=model.movie_factors.weight.detach().cpu().numpy().astype(np.float32),
        movie_bias=model.movie_bias.detach().cpu().numpy().astype(np.float32),
        user_ridge=float(params.user_ridge),
        other_weight=float(params.other_weight),
        recency=float(params.recency),
    )
