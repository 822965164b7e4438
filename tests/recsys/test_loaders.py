"""The array-backed tabular loader: fastai's batches in kind, every row once an epoch, repeatable by seed."""

from collections import Counter

import numpy as np
import pandas as pd
import torch
from fastai.collab import CollabDataLoaders
from fastai.tabular.core import TabDataLoader
from fastai.torch_core import set_seed

from recsys.loaders import ArrayTabDataLoader, UserRowBatches


def ratings(n: int = 1_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"user": rng.integers(0, 50, n), "movie": rng.integers(0, 80, n), "rating": rng.integers(1, 11, n) / 2}
    )


def loaders(dl_type: type, *, seed: int = 3, bs: int = 64):
    set_seed(seed, reproducible=True)
    return CollabDataLoaders.from_df(
        ratings(),
        valid_pct=0.2,
        seed=1,
        user_name="user",
        item_name="movie",
        rating_name="rating",
        bs=bs,
        dl_type=dl_type,
    )


def rows(batches) -> list[tuple[int, int, float]]:
    return [
        (int(u), int(m), float(r)) for cats, targets in batches for (u, m), r in zip(cats, targets[:, 0], strict=True)
    ]


def test_batches_are_fastai_s_in_kind_and_rows():
    ours, fastais = loaders(ArrayTabDataLoader), loaders(TabDataLoader)
    for mine, theirs in ((ours.train, fastais.train), (ours.valid, fastais.valid)):
        assert len(mine) == len(theirs)
        mine_first, theirs_first = next(iter(mine)), next(iter(theirs))
        assert [(t.dtype, t.shape) for t in mine_first] == [(t.dtype, t.shape) for t in theirs_first]
    # The validation set is read in order: the very same batches.
    assert rows(ours.valid) == rows(fastais.valid)


def test_an_epoch_draws_every_training_row_once_in_a_new_order():
    dls = loaders(ArrayTabDataLoader)
    table = dls.train.dataset
    targets = np.asarray(table.targ).reshape(-1).tolist()
    every = Counter(zip(table.cats["user"].tolist(), table.cats["movie"].tolist(), targets, strict=True))
    first, second = rows(dls.train), rows(dls.train)
    # The last part batch is dropped, as fastai's training loader drops it; no row comes twice.
    assert len(first) == every.total() - every.total() % dls.train.bs
    assert not Counter(first) - every
    assert first != second
    assert Counter(rows(dls.train.new(drop_last=False))) == every


def test_the_same_seed_draws_the_same_epochs():
    assert rows(loaders(ArrayTabDataLoader, seed=5).train) == rows(loaders(ArrayTabDataLoader, seed=5).train)
    assert rows(loaders(ArrayTabDataLoader, seed=5).train) != rows(loaders(ArrayTabDataLoader, seed=6).train)


def test_a_test_set_has_no_targets():
    dls = loaders(ArrayTabDataLoader)
    batch = next(iter(dls.test_dl(ratings().head(100)[["user", "movie"]])))
    assert len(batch) == 1
    assert batch[0].dtype == torch.int64 and batch[0].shape == (64, 2)


def test_user_row_batches_hold_every_user_once_an_epoch_as_input_and_target():
    set_seed(2, reproducible=True)
    loader = UserRowBatches(n=103, bs=10, shuffle=True, indexed=True)
    first = [batch for batch in loader]
    assert len(first) == len(loader) == 11
    assert all(torch.equal(users, targets) for users, targets in first)
    order = torch.cat([users for users, _ in first]).tolist()
    assert sorted(order) == list(range(103))
    assert order != torch.cat([users for users, _ in loader]).tolist()
