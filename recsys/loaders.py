"""fastai data loaders whose batches are slices of tensors, not items collated in Python.

The rating model's: ``ArrayTabDataLoader``.

fastai's ``TabDataLoader`` lists every row index as a Python int, shuffles that list with ``random.sample``, and
builds each batch as a pandas ``iloc`` of the rows turned back into tensors (``ReadTabBatch``): two thirds of the
rating model's training time at ml-25m's shape (py-spy, 20 million ratings in batches of 20,000), the forward
and backward passes and the optimizer the other third. This loader keeps the table's codes, continuous columns
and targets as tensors, once, and yields what ``ReadTabBatch`` would: ``(cats,)``, ``(cats, conts)`` when the
table has continuous columns, and the targets after them when the table has them (a test set has none). Each
epoch is a fresh order without replacement, drawn from the loader's own seeded random state, so that
``set_seed`` makes training repeat.

The ranking model's: ``UserRowBatches``, its batches of user rows (the loss finds their targets), which fastai's
loader built from one tensor per user.
"""

from collections.abc import Iterator

import numpy as np
import torch
from fastai.data.load import DataLoader
from fastai.tabular.core import TabDataLoader
from fastai.torch_core import to_device


def _epoch_batches(loader: DataLoader, n: int) -> Iterator[torch.Tensor]:
    """The row indices of each of the epoch's batches: a fresh order when the loader shuffles, the table's
    otherwise; a last part batch only when the loader keeps it."""
    loader.randomize()
    if loader.shuffle:
        order = torch.from_numpy(np.random.default_rng(loader.rng.randint(0, 2**32 - 1)).permutation(n))
    else:
        order = torch.arange(n)
    end = n - n % loader.bs if loader.drop_last else n
    for start in range(0, end, loader.bs):
        yield order[start : start + loader.bs]


class ArrayTabDataLoader(TabDataLoader):
    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        self.before_iter()
        columns = self._columns()
        for rows in _epoch_batches(self, len(columns[0])):
            batch = tuple(column[rows] for column in columns)
            yield to_device((batch[0].long(), *batch[1:]), self.device)
        self.after_iter()

    def _columns(self) -> tuple[torch.Tensor, ...]:
        """The table as tensors (category codes, continuous columns, targets), read once per loader."""
        cached: tuple[torch.Tensor, ...] | None = getattr(self, "_tensors", None)
        if cached is None:
            table = self.dataset
            cached = (torch.from_numpy(np.ascontiguousarray(table.cats.to_numpy())),)
            if table.with_cont:
                cached += (torch.from_numpy(table.conts.to_numpy(np.float32)),)
            if all(name in table.items.columns for name in table.y_names):
                targets = np.ascontiguousarray(table.targ)
                cached += (torch.from_numpy(targets.astype(np.float32) if targets.dtype == np.float64 else targets),)
            self._tensors = cached
        return cached


class UserRowBatches(DataLoader):
    """Batches of user rows over ``n`` users, each as the model's input and as the loss's target."""

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.before_iter()
        for users in _epoch_batches(self, self.n):
            yield to_device((users, users), self.device)
        self.after_iter()
