"""A training run's progress bar on stderr: batches done of the whole fit, the epoch, the running loss.

The ranking learner runs without fastai's Recorder (it leaked memory a batch at scale: recsys.train_ranking), so
the bar reads the Recorder's smoothed loss and each epoch's validation loss where there is one, and the batch's
own loss where there is not.
"""

import sys

from fastai.callback.core import Callback
from fastai.learner import Recorder
from tqdm import tqdm


class LossBar(Callback):
    order = Recorder.order + 2

    def __init__(self, *, desc: str) -> None:
        self.desc = desc

    def before_fit(self) -> None:
        total = self.n_epoch * len(self.dls.train)
        self.bar = tqdm(total=total, desc=self.desc, unit="batch", file=sys.stderr)
        self.valid_loss = "-"

    def after_batch(self) -> None:
        if self.training:
            loss = self.smooth_loss if hasattr(self.learn, "recorder") else self.loss
            self.bar.update()
            self.bar.set_postfix(
                epoch=f"{self.epoch + 1}/{self.n_epoch}",
                train_loss=f"{float(loss.detach()):.4f}",
                valid_loss=self.valid_loss,
                refresh=False,
            )

    def after_epoch(self) -> None:
        values = self.recorder.values if hasattr(self.learn, "recorder") else []
        valid_loss = values[-1][1] if values and len(values[-1]) > 1 else None
        self.valid_loss = "-" if valid_loss is None else f"{float(valid_loss):.4f}"

    def after_fit(self) -> None:
        self.bar.close()
