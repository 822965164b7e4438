"""Training with fastai: a ratings frame in; a trained learner, its numpy serving form and its metrics out.

The only module of the site that imports torch and fastai. The registry and the evaluation service import it
inside the functions that train, never at import time, so that the web process stays free of torch.
"""

import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import fastai
import numpy as np
import pandas as pd
import torch
from django.conf import settings
from fastai.callback.core import Callback
from fastai.collab import CollabDataLoaders, collab_learner
from fastai.learner import Learner, Recorder
from fastai.tabular.core import TabDataLoader
from fastai.torch_core import set_seed
from threadpoolctl import threadpool_limits
from torch import nn
from tqdm import tqdm

from recommender.services.evaluation import FactorRecommender, Recommender, evaluation_measure
from recommender.services.factors import DenseLayer, FactorModel
from recommender.services.ranking import ranking_train
from recommender.services.ranking_scores import RankedRecommender

# pandas 3 hands out read-only arrays (copy on write), and fastai's tabular loader wraps them in tensors that it
# only ever reads; torch warns about it on every training run.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable", category=UserWarning)

LEARNER_FILE = "learner.pkl"
# The classic recipe of the fastai book (chapter 8), which bench/train_speed.py measures our defaults against:
# batches of 64 drawn the way fastai's tabular loader draws them, with replacement.
CLASSIC_HYPERPARAMETERS = {
    "n_factors": 50,
    "bs": 64,
    "epochs": 5,
    "lr": 5e-3,
    "wd": 0.1,
    "sample_with_replacement": True,
}

ALGORITHM_UNKNOWN = "unknown algorithm {algorithm}: choose one of {choices}"
HYPERPARAMETER_UNKNOWN = "unknown hyperparameter {name} for the {algorithm} algorithm; known: {known}"
TOO_FEW_RATINGS = "cannot train on {n} ratings: at least {minimum} are needed"
MIN_RATINGS = 2


class TrainingError(Exception):
    """The requested training cannot run (unknown algorithm or hyperparameter, too little data)."""


@dataclass(frozen=True, eq=False)
class TrainedModel:
    algorithm: str
    hyperparameters: dict
    learner: Learner
    # The serving form, carrying the training ratings for the classic cold start and the ranking model.
    factors: FactorModel
    epoch_losses: list[dict]  # [{"epoch": 1, "train_loss": ..., "valid_loss": ...}, ...]
    train_seconds: float  # data loaders, model and fit, of the rating and the ranking model
    train: pd.DataFrame  # the ratings learned from: user, movie, rating (and timestamp when given)
    valid: pd.DataFrame  # the held-out ratings (empty when valid_pct is 0)
    # On the held-out ratings, per recommender.services.evaluation (the list's metrics are those of the list the
    # site serves: the ranking model's when trained); empty without them. Plus ranking_seconds with a ranking.
    metrics: dict


def hyperparameters_resolve(*, algorithm: str, overrides: Mapping | None = None) -> dict:
    """The settings' defaults for ``algorithm`` updated with ``overrides``, whose keys must be known."""
    defaults = settings.RECOMMENDER_HYPERPARAMETERS
    if algorithm not in defaults:
        raise TrainingError(ALGORITHM_UNKNOWN.format(algorithm=algorithm, choices=", ".join(defaults)))
    resolved = dict(defaults[algorithm])
    for name in overrides or {}:
        if name not in resolved:
            known = ", ".join(sorted(resolved))
            raise TrainingError(HYPERPARAMETER_UNKNOWN.format(name=name, algorithm=algorithm, known=known))
    return {**resolved, **(overrides or {})}


class EpochLosses(Callback):
    """Keeps each epoch's training and validation loss, as fastai's Recorder measured them."""

    order = Recorder.order + 1

    def before_fit(self) -> None:
        self.epochs: list[dict] = []

    def after_epoch(self) -> None:
        train_loss, valid_loss = self.recorder.values[-1][:2]
        self.epochs.append(
            {
                "epoch": self.epoch + 1,
                "train_loss": float(train_loss),
                "valid_loss": None if valid_loss is None else float(valid_loss),
            }
        )


class LossBar(Callback):
    """A progress bar on stderr showing the running training loss and each epoch's validation loss."""

    order = EpochLosses.order + 1

    def before_fit(self) -> None:
        self.bar = tqdm(total=self.n_epoch * len(self.dls.train), desc="training", unit="batch", file=sys.stderr)
        self.valid_loss = "-"

    def after_batch(self) -> None:
        if self.training:
            self.bar.update()
            self.bar.set_postfix(
                epoch=f"{self.epoch + 1}/{self.n_epoch}",
                train_loss=f"{float(self.smooth_loss):.4f}",
                valid_loss=self.valid_loss,
                refresh=False,
            )

    def after_epoch(self) -> None:
        valid_loss = self.recorder.values[-1][1]
        self.valid_loss = "-" if valid_loss is None else f"{float(valid_loss):.4f}"

    def after_fit(self) -> None:
        self.bar.close()


def model_train(
    *,
    ratings: pd.DataFrame,
    algorithm: str,
    hyperparameters: Mapping,
    progress: bool = False,
    path: Path | None = None,
    ranking: bool = False,
) -> TrainedModel:
    """Fit fastai's collaborative filtering on ``ratings`` (columns user, movie, rating; ids are kept as they are),
    then, with ``ranking``, the ranking model that orders the site's list on the same training ratings.

    ``hyperparameters`` is a complete set (``hyperparameters_resolve``). ``path`` is the learner's folder (fastai
    writes nothing there unless asked). A random ``valid_pct`` share, drawn with ``seed``, is held out. The
    ranking model needs a ``timestamp`` column (recent ratings weigh more).
    """
    hp = dict(hyperparameters)
    columns = ["user", "movie", "rating", *(["timestamp"] if "timestamp" in ratings.columns else [])]
    frame = ratings[columns].reset_index(drop=True)
    if len(frame) < MIN_RATINGS:
        raise TrainingError(TOO_FEW_RATINGS.format(n=len(frame), minimum=MIN_RATINGS))
    # For the whole process, numpy's BLAS included: extra threads spin against each other on a shared CPU.
    torch.set_num_threads(int(hp["threads"]))
    threadpool_limits(limits=int(hp["threads"]))
    set_seed(int(hp["seed"]), reproducible=True)
    started = time.perf_counter()
    n_train = len(frame) - int(len(frame) * float(hp["valid_pct"]))  # as fastai's RandomSplitter
    # Training batches of fewer ratings than bs are dropped: cap bs so that a small database still trains.
    loader = {} if hp["sample_with_replacement"] else {"dl_type": TabDataLoader}
    dls = CollabDataLoaders.from_df(
        frame[["user", "movie", "rating"]],
        valid_pct=float(hp["valid_pct"]),
        seed=int(hp["seed"]),
        user_name="user",
        item_name="movie",
        rating_name="rating",
        bs=max(1, min(int(hp["bs"]), n_train)),
        path=path or Path("."),
        **loader,
    )
    y_range = (float(hp["y_range"][0]), float(hp["y_range"][1]))
    if algorithm == "dot":
        learn = collab_learner(dls, n_factors=int(hp["n_factors"]), y_range=y_range)
    elif algorithm == "nn":
        # Users and movies get embeddings of one size, so that the serving form keeps one factor width.
        sizes = {"user": int(hp["n_factors"]), "movie": int(hp["n_factors"])}
        learn = collab_learner(dls, use_nn=True, emb_szs=sizes, layers=list(hp["layers"]), y_range=y_range)
    else:
        raise TrainingError(ALGORITHM_UNKNOWN.format(algorithm=algorithm, choices="dot, nn"))
    losses = EpochLosses()
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(
            int(hp["epochs"]), float(hp["lr"]), wd=float(hp["wd"]), cbs=[losses, *([LossBar()] if progress else [])]
        )
    train_seconds = time.perf_counter() - started

    train = frame.loc[dls.train_ds.items.index]
    valid = frame.loc[dls.valid_ds.items.index]
    factors = factors_from_learner(learner=learn, algorithm=algorithm, y_range=y_range).with_training_ratings(
        user_ids=train["user"].to_numpy(), movie_ids=train["movie"].to_numpy(), scores=train["rating"].to_numpy()
    )
    factors = replace(factors, meta={"algorithm": algorithm, "hyperparameters": hp, **_versions()})
    recommender: Recommender = FactorRecommender(factors)
    extra = {}
    if ranking:
        # The same training ratings as the rating model, so the served list is measured on the same held-out ones.
        started = time.perf_counter()
        ranking_model = ranking_train(ratings=train, seed=int(hp["seed"])).aligned(
            user_ids=factors.user_ids, movie_ids=factors.movie_ids
        )
        ranking_seconds = time.perf_counter() - started
        train_seconds += ranking_seconds
        factors = replace(factors, ranking=ranking_model)
        recommender = RankedRecommender(rating=FactorRecommender(factors), ranking=ranking_model)
        extra = {"ranking_seconds": ranking_seconds}
    metrics = dict(extra)
    if len(valid):
        metrics.update(evaluation_measure(train=train, test=valid, recommender=recommender).metrics)
    return TrainedModel(
        algorithm=algorithm,
        hyperparameters=hp,
        learner=learn,
        factors=factors,
        epoch_losses=losses.epochs,
        train_seconds=train_seconds,
        train=train,
        valid=valid,
        metrics=metrics,
    )


def _versions() -> dict[str, str]:
    return {"fastai": fastai.__version__, "torch": torch.__version__}


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float32)


def factors_from_learner(*, learner: Learner, algorithm: str, y_range: tuple[float, float]) -> FactorModel:
    """The serving form of a trained collab learner: fastai's vocabularies mapped back to the ids of the ratings.

    Row 0 of every fastai embedding is the '#na#' category (ids unseen in training), which is left out.
    """
    classes = learner.dls.classes
    user_ids = np.asarray(list(classes["user"][1:]), dtype=np.int64)
    movie_ids = np.asarray(list(classes["movie"][1:]), dtype=np.int64)
    model = learner.model.eval()
    if algorithm == "dot":
        return FactorModel(
            user_ids=user_ids,
            movie_ids=movie_ids,
            user_factors=_array(model.u_weight.weight[1:]),
            user_bias=_array(model.u_bias.weight[1:, 0]),
            movie_factors=_array(model.i_weight.weight[1:]),
            movie_bias=_array(model.i_bias.weight[1:, 0]),
            y_range=y_range,
        )
    return FactorModel(
        user_ids=user_ids,
        movie_ids=movie_ids,
        user_factors=_array(model.embeds[0].weight[1:]),
        user_bias=np.zeros(len(user_ids), dtype=np.float32),
        movie_factors=_array(model.embeds[1].weight[1:]),
        movie_bias=np.zeros(len(movie_ids), dtype=np.float32),
        y_range=y_range,
        mlp=tuple(_dense_layer(block) for block in model.layers if isinstance(block, nn.Sequential)),
    )


def _dense_layer(block: nn.Sequential) -> DenseLayer:
    """One fastai LinBnDrop of a tabular model (linear first: Linear, ReLU, BatchNorm1d), batch norm folded in."""
    linear = next(module for module in block if isinstance(module, nn.Linear))
    norm = next((module for module in block if isinstance(module, nn.BatchNorm1d)), None)
    bias = _array(linear.bias) if linear.bias is not None else np.zeros(linear.out_features, dtype=np.float32)
    if norm is None:
        return DenseLayer(weight=_array(linear.weight), bias=bias)
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    return DenseLayer(
        weight=_array(linear.weight),
        bias=bias,
        scale=_array(scale),
        shift=_array(norm.bias - norm.running_mean * scale),
    )


def learner_export(*, trained: TrainedModel, directory: Path) -> list[Path]:
    """Write ``learner.pkl`` (fastai's ``load_learner`` reads it) and the serving arrays; returns the files."""
    learner = trained.learner
    learner.path = directory
    learner.export(LEARNER_FILE)
    return [directory / LEARNER_FILE, *trained.factors.save(directory)]
