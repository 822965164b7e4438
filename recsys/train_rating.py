"""Training of the rating model with fastai: a ratings frame in; a trained learner and its numpy serving form out.

Imports torch and fastai: only the retrain, the trainers and the benchmarks import it, never the web process.
"""

import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import fastai
import numpy as np
import pandas as pd
import torch
from fastai.callback.core import Callback
from fastai.collab import CollabDataLoaders, collab_learner
from fastai.learner import Learner, Recorder
from fastai.torch_core import set_seed
from threadpoolctl import threadpool_limits
from torch import nn

from recsys.loaders import ArrayTabDataLoader
from recsys.optimizer import fused_adam
from recsys.params import Algorithm, RatingParams, TrainingError
from recsys.progress import LossBar
from recsys.rating_model import DenseLayer, FactorModel

# pandas 3 hands out read-only arrays (copy on write), and fastai's tabular loader wraps them in tensors that it
# only ever reads; torch warns about it on every training run.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable", category=UserWarning)

LEARNER_FILE = "learner.pkl"
TOO_FEW_RATINGS = "cannot train on {n} ratings: at least {minimum} are needed"
MIN_RATINGS = 2
# One epoch's losses: {"epoch": 1, "train_loss": ..., "valid_loss": ...}, valid_loss None without held-out ratings.
EpochLoss = dict[str, float | None]
UNTRACKED_BATCH_NORM = "a batch norm without running statistics cannot be folded into the serving arrays"


@dataclass(frozen=True, eq=False)
class TrainedRating:
    params: RatingParams
    learner: Learner
    factors: FactorModel  # the serving form, carrying its training ratings (the classic cold start reads them)
    epoch_losses: list[EpochLoss]
    train_seconds: float  # data loaders, model and fit
    train: pd.DataFrame  # the ratings learned from: user, movie, rating (and timestamp when given)
    valid: pd.DataFrame  # the held-out ratings (empty when valid_pct is 0)


class EpochLosses(Callback):
    """Keeps each epoch's training and validation loss, as fastai's Recorder measured them."""

    order = Recorder.order + 1

    def before_fit(self) -> None:
        self.epochs: list[EpochLoss] = []

    def after_epoch(self) -> None:
        train_loss, valid_loss = self.recorder.values[-1][:2]
        self.epochs.append(
            {
                "epoch": self.epoch + 1,
                "train_loss": float(train_loss),
                "valid_loss": None if valid_loss is None else float(valid_loss),
            }
        )


def rating_train(
    *, ratings: pd.DataFrame, params: RatingParams, progress: bool = False, path: Path | None = None
) -> TrainedRating:
    """Fit fastai's collaborative filtering on ``ratings`` (columns user, movie, rating; ids are kept as they are).

    ``path`` is the learner's folder (fastai writes nothing there unless asked). A random ``valid_pct`` share,
    drawn with ``seed``, is held out.
    """
    columns = ["user", "movie", "rating", *(["timestamp"] if "timestamp" in ratings.columns else [])]
    frame = ratings[columns].reset_index(drop=True)
    if len(frame) < MIN_RATINGS:
        raise TrainingError(TOO_FEW_RATINGS.format(n=len(frame), minimum=MIN_RATINGS))
    # For the whole process, numpy's BLAS included: extra threads spin against each other on a shared CPU.
    torch.set_num_threads(params.threads)
    threadpool_limits(limits=params.threads)
    set_seed(params.seed, reproducible=True)
    started = time.perf_counter()
    n_train = len(frame) - int(len(frame) * params.valid_pct)  # as fastai's RandomSplitter
    loader = {} if params.sample_with_replacement else {"dl_type": ArrayTabDataLoader}
    dls = CollabDataLoaders.from_df(
        frame[["user", "movie", "rating"]],
        valid_pct=params.valid_pct,
        seed=params.seed,
        user_name="user",
        item_name="movie",
        rating_name="rating",
        bs=batch_size(params=params, n_train=n_train),
        path=path or Path("."),
        **loader,
    )
    if params.algorithm == Algorithm.DOT:
        learn = collab_learner(dls, n_factors=params.n_factors, y_range=params.y_range, opt_func=fused_adam)
    else:
        # Users and movies get embeddings of one size, so that the serving form keeps one factor width.
        sizes = {"user": params.n_factors, "movie": params.n_factors}
        learn = collab_learner(
            dls,
            use_nn=True,
            emb_szs=sizes,
            layers=list(params.layers),
            y_range=params.y_range,
            opt_func=fused_adam,
        )
    losses = EpochLosses()
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(
            params.epochs, params.lr, wd=params.wd, cbs=[losses, *([LossBar(desc="rating model")] if progress else [])]
        )
    train_seconds = time.perf_counter() - started

    train = frame.loc[dls.train_ds.items.index]
    valid = frame.loc[dls.valid_ds.items.index]
    factors = factors_from_learner(learner=learn, params=params).with_training_ratings(
        user_ids=train["user"].to_numpy(), movie_ids=train["movie"].to_numpy(), scores=train["rating"].to_numpy()
    )
    # The data loaders hold every rating again (fastai's TabularPandas, with its category codes): emptied, as
    # fastai's export empties them, they no longer weigh on the ranking model's training; test_dl still works.
    learn.dls = learn.dls.new_empty()
    return TrainedRating(
        params=params,
        learner=learn,
        factors=factors,
        epoch_losses=losses.epochs,
        train_seconds=train_seconds,
        train=train,
        valid=valid,
    )


def batch_size(*, params: RatingParams, n_train: int) -> int:
    """``params.bs``, grown so that an epoch has at most ``params.max_batches`` batches, and cut to the training
    ratings (fastai drops a last batch smaller than bs, so a small database still trains)."""
    grown = params.bs if params.max_batches is None else max(params.bs, math.ceil(n_train / params.max_batches))
    return max(1, min(grown, n_train))


def _versions() -> dict[str, str]:
    return {"fastai": fastai.__version__, "torch": torch.__version__}


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float32)


def factors_from_learner(*, learner: Learner, params: RatingParams) -> FactorModel:
    """The serving form of a trained collab learner: fastai's vocabularies mapped back to the ids of the ratings.

    Row 0 of every fastai embedding is the '#na#' category (ids unseen in training), which is left out.
    """
    classes = learner.dls.classes
    user_ids = np.asarray(list(classes["user"][1:]), dtype=np.int64)
    movie_ids = np.asarray(list(classes["movie"][1:]), dtype=np.int64)
    model = learner.model.eval()
    y_range = params.y_range
    meta = {"algorithm": str(params.algorithm), "hyperparameters": params.as_dict(), **_versions()}
    if params.algorithm == Algorithm.DOT:
        return FactorModel(
            user_ids=user_ids,
            movie_ids=movie_ids,
            user_factors=_array(model.u_weight.weight[1:]),
            user_bias=_array(model.u_bias.weight[1:, 0]),
            movie_factors=_array(model.i_weight.weight[1:]),
            movie_bias=_array(model.i_bias.weight[1:, 0]),
            y_range=y_range,
            meta=meta,
        )
    return FactorModel(
        user_ids=user_ids,
        movie_ids=movie_ids,
        user_factors=_array(model.embeds[0].weight[1:]),
        user_bias=np.zeros(len(user_ids), dtype=np.float32),
        movie_factors=_array(model.embeds[1].weight[1:]),
        movie_bias=np.zeros(len(movie_ids), dtype=np.float32),
        y_range=y_range,
        meta=meta,
        mlp=tuple(_dense_layer(block) for block in model.layers if isinstance(block, nn.Sequential)),
    )


def _dense_layer(block: nn.Sequential) -> DenseLayer:
    """One fastai LinBnDrop of a tabular model (linear first: Linear, ReLU, BatchNorm1d), batch norm folded in."""
    linear = next(module for module in block if isinstance(module, nn.Linear))
    norm = next((module for module in block if isinstance(module, nn.BatchNorm1d)), None)
    bias = _array(linear.bias) if linear.bias is not None else np.zeros(linear.out_features, dtype=np.float32)
    if norm is None:
        return DenseLayer(weight=_array(linear.weight), bias=bias)
    # fastai's batch norms track them; one that does not would normalise by each batch even in eval mode.
    if norm.running_mean is None or norm.running_var is None:
        raise ValueError(UNTRACKED_BATCH_NORM)
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    return DenseLayer(
        weight=_array(linear.weight),
        bias=bias,
        scale=_array(scale),
        shift=_array(norm.bias - norm.running_mean * scale),
    )
