"""The optimizer both models train with: Adam with decoupled weight decay, fastai's defaults, in one fused kernel.

fastai's own Adam runs its steps as separate tensor operations over every parameter; on dense embedding tables of
ml-25m's shape (162,541 users and 59,047 movies, 50 factors) that was most of a training step on one core, above
the forward and backward passes. torch's fused AdamW does the same update in one pass (bench/ranking_step.py).
The hyperparameters are fastai's Adam's, so the recipe (``fit_one_cycle`` with its momentum schedule, ``wd``) means
what it meant: momentum 0.9, squared momentum 0.99, eps 1e-5, weight decay decoupled (``p *= 1 - lr * wd``).
"""

from collections.abc import Iterable
from functools import partial
from typing import Any

import torch
from fastai.optimizer import OptimWrapper

MOM, SQR_MOM, EPS = 0.9, 0.99, 1e-5


def fused_adam(params: Iterable[Any], lr: float) -> OptimWrapper:
    """fastai's ``opt_func``: a Learner calls it with the splitter's parameter groups and sets wd and mom itself."""
    return OptimWrapper(params, opt=partial(torch.optim.AdamW, betas=(MOM, SQR_MOM), eps=EPS, fused=True), lr=lr)
