"""The fused optimizer takes fastai Adam's steps: the same parameters after a one-cycle fit, weight decay included."""

import numpy as np
import pytest
import torch
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader
from fastai.learner import Learner
from fastai.optimizer import Adam
from torch import nn

# Imported for what they add to Learner: fit_one_cycle.
from fastai.callback import schedule  # noqa: F401  isort: skip

from recsys.optimizer import fused_adam


class Pairs:
    """(user, movie) rows and a rating each, from a fixed low-rank truth."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.x = torch.from_numpy(rng.integers(0, [30, 40], size=(600, 2)))
        truth = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 40))
        self.y = torch.from_numpy(truth[self.x[:, 0], self.x[:, 1]].astype(np.float32))

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]


class Dot(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.users, self.movies = nn.Embedding(30, 4), nn.Embedding(40, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.users(x[:, 0]) * self.movies(x[:, 1])).sum(1)


def fitted(opt_func, wd: float | list[float]) -> list[torch.Tensor]:
    data = Pairs()
    dls = DataLoaders(DataLoader(data, bs=50, shuffle=False), DataLoader(data, bs=50))
    model = Dot()
    splitter = lambda m: [[m.users.weight], [m.movies.weight]]  # noqa: E731
    learner = Learner(dls, model, loss_func=nn.MSELoss(), opt_func=opt_func, splitter=splitter)
    with learner.no_bar(), learner.no_logging():
        learner.fit_one_cycle(3, 5e-2, wd=wd)
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("wd", [0.1, [0.0, 0.3]])
def test_fused_adam_steps_as_fastai_adam(wd: float | list[float]) -> None:
    for ours, fastais in zip(fitted(fused_adam, wd), fitted(Adam, wd), strict=True):
        torch.testing.assert_close(ours, fastais, rtol=1e-4, atol=1e-5)


def test_fused_adam_moves_the_parameters() -> None:
    # The comparison above would also pass if neither optimizer stepped at all.
    assert not torch.allclose(fitted(fused_adam, 0.1)[0], Dot().users.weight)
