"""`History`: what a `fit` run records, one entry per epoch (and the loss of every step)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import MicrogradError


@dataclass
class History:
    """Per-epoch records of a `fit` run (index k is epoch k; epoch numbers start at 1).

    `metric` names what train_metric / val_metric hold ('accuracy', a function's name), or
    is None when fit measured the loss only (then those lists stay empty); train_acc and
    val_acc are train_metric and val_metric when the metric is accuracy.
    """
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_metric: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    metric: str | None = None
    time: list[float] = field(default_factory=list)  # training seconds so far, at each epoch's end
    step_loss: list[float] = field(default_factory=list)  # every step's loss, before its update
    initial_loss: float = float("nan")  # the untrained model's loss on the train set
    lr: float = float("nan")  # the learning rate at the start (the largest, if groups differ)
    batch_size: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def train_acc(self) -> list[float]:
        """The training accuracy per epoch (only when fit measured accuracy)."""
        return self._accuracy(self.train_metric, "train_acc")

    @property
    def val_acc(self) -> list[float]:
        """The validation accuracy per epoch (only when fit measured accuracy)."""
        return self._accuracy(self.val_metric, "val_acc")

    def _accuracy(self, values: list[float], name: str) -> list[float]:
        if self.metric != "accuracy":
            what = ("only the loss (metric=None; fit's default for a loss that is not "
                    "cross_entropy or nll_loss)" if self.metric is None else repr(self.metric))
            raise MicrogradError(f"History.{name}: this run measured {what}, not accuracy; pass "
                                 "metric='accuracy' to fit to measure it"
                                 + ("" if self.metric is None else
                                    f", or read {name.replace('acc', 'metric')}"))
        return values

    def last(self) -> dict[str, float]:
        """The final epoch's numbers: train_loss (val_loss), and the metric's, named
        train_acc / val_acc for accuracy, else train_<metric> / val_<metric>."""
        key = "acc" if self.metric == "accuracy" else self.metric
        out = {"train_loss": self.train_loss[-1]}
        if key:
            out[f"train_{key}"] = self.train_metric[-1]
        if self.val_loss:
            out["val_loss"] = self.val_loss[-1]
            if key:
                out[f"val_{key}"] = self.val_metric[-1]
        return out

    def curves(self) -> dict[str, list[float]]:
        """Everything that is deterministic given the seeds (times are left out)."""
        return {"train_loss": self.train_loss, "train_metric": self.train_metric,
                "val_loss": self.val_loss, "val_metric": self.val_metric,
                "step_loss": self.step_loss}
