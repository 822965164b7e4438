"""fastai's tabular loader with its batches gathered from tensors instead of through pandas.

fastai's ``TabDataLoader`` lists every row index as a Python int, shuffles that list with ``random.sample``, and
builds each batch as a pandas ``iloc`` of the rows turned back into tensors (``ReadTabBatch``): two thirds of the
rating model's training time at ml-25m's shape (py-spy, 20 million ratings in batches of 20,000), the forward
and backward passes and the optimizer the other third. This loader keeps the table's codes, continuous columns
and targets as tensors, once, and yields what ``ReadTabBatch`` would: ``(cats,)``, ``(cats, conts)`` when the
table has continuous columns, and the targets after them when the table has them (a test set has none). Each
epoch is a fresh order without replacement, drawn from the loader's own seeded random state, so that
``set_seed`` makes training repeat.
"""

from collections.abc import Iterator

import numpy as np
import torch
from fastai.tabular.core import TabDataLoader
from fastai.torch_core import to_device


class ArrayTabDataLoader(TabDataLoader):
    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        self.randomize()
        self.before_iter()
        columns = self._columns()
        n = len(columns[0])
        if self.shuffle:
            order = torch.from_numpy(np.random.default_rng(self.rng.randint(0, 2**32 - 1)).permutation(n))
        else:
            order = torch.arange(n)
        end = n - n % self.bs if self.drop_last else n
        for start in range(0, end, self.bs):
            rows = order[start : start + self.bs]
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
