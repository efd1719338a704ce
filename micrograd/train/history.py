"""`History`: what a `fit` run records, one entry per epoch (and the loss of every step)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch records of a `fit` run (index k is epoch k; epoch numbers start at 1)."""
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)  # training seconds so far, at each epoch's end
    step_loss: list[float] = field(default_factory=list)  # every step's loss, before its update
    initial_loss: float = float("nan")  # the untrained model's loss on the train set
    lr: float = float("nan")
    batch_size: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def last(self) -> dict[str, float]:
        """The final epoch's numbers."""
        out = {"train_loss": self.train_loss[-1], "train_acc": self.train_acc[-1]}
        if self.val_loss:
            out.update(val_loss=self.val_loss[-1], val_acc=self.val_acc[-1])
        return out

    def curves(self) -> dict[str, list[float]]:
        """Everything that is deterministic given the seeds (times are left out)."""
        return {"train_loss": self.train_loss, "train_acc": self.train_acc,
                "val_loss": self.val_loss, "val_acc": self.val_acc, "step_loss": self.step_loss}

