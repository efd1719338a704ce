"""What `fit` shows while it trains: a tqdm progress bar on a terminal (a widget in Jupyter),
silent elsewhere, and, when asked for, a log line every k epochs (like the lab's log)."""
from __future__ import annotations

import io
import os
import shutil
import sys
from typing import Any, TextIO

from .history import History


def _score(h: History, values: list[float], width: int = 0) -> str:
    """The metric's last value as shown: accuracy as a percentage, any other as a number,
    nothing when fit measured the loss only."""
    if h.metric is None:
        return ""
    if h.metric == "accuracy":
        return f"acc {100 * values[-1]:{width}.1f}%"
    return f"{h.metric} {values[-1]:.4g}"


def _metrics(h: History) -> str:
    """The last epoch's numbers, short enough to sit next to the bar."""
    text = f"loss {h.train_loss[-1]:.4f} {_score(h, h.train_metric)}".rstrip()
    if h.val_loss:
        text += f" | val {h.val_loss[-1]:.4f} {_score(h, h.val_metric).removeprefix('acc ')}"
    return text.rstrip()


def _terminal_bar(stream: TextIO, epochs: int) -> Any:
    """A tqdm bar on `stream` that fits its width; None when there is nowhere to show one:
    `stream` is not a terminal (a file, a pipe, a captured stream) and not a notebook's output."""
    from tqdm import std
    from tqdm.auto import tqdm as auto_tqdm

    # Short fixed parts, so that most of the width goes to the bar and the numbers. (tqdm
    # leaves a finished bar on screen by default.)
    options: dict[str, Any] = dict(
        total=epochs, file=stream, desc="epoch",
        bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed}{postfix}")
    # tqdm.auto picks tqdm.notebook's class when running in Jupyter (with ipywidgets).
    in_notebook = any(c.__module__ == "tqdm.notebook" for c in auto_tqdm.__mro__)
    if in_notebook and stream in (sys.stdout, sys.stderr):
        return auto_tqdm(**options)  # a widget, which sizes itself
    if not getattr(stream, "isatty", lambda: False)():
        return None
    try:
        os.get_terminal_size(stream.fileno())
        options["dynamic_ncols"] = True  # a real terminal: follow it when it is resized
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        # No size to ask the stream for: $COLUMNS, else 80. One column short, as tqdm does,
        # because a line of exactly the terminal's width wraps on some terminals.
        options["ncols"] = shutil.get_terminal_size().columns - 1
    return std.tqdm(**options)


class Progress:
    """fit's progress: a bar that shows epochs done and the last epoch's numbers on a
    terminal (nothing elsewhere), plus a line "epoch k/N  train loss … | val loss …" on
    epochs 1, N and every `every`-th (every=0: no lines), written above the bar."""

    def __init__(self, stream: TextIO, epochs: int, every: int):
        self.stream, self.epochs, self.every = stream, epochs, every
        self.bar = _terminal_bar(stream, epochs)

    def epoch(self, k: int, h: History) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(_metrics(h), refresh=False)
            self.bar.update(1)
        if self.every and (k == 1 or k == self.epochs or k % self.every == 0):
            sep = " / " if h.metric else ""
            line = f"train loss {h.train_loss[-1]:.4f}{sep}{_score(h, h.train_metric, 5)}"
            if h.val_loss:
                line += f" | val loss {h.val_loss[-1]:.4f}{sep}{_score(h, h.val_metric, 5)}"
            line = f"epoch {k:>{len(str(self.epochs))}}/{self.epochs}  {line}"
            if self.bar is not None:
                self.bar.write(line, file=self.stream)  # above the bar, which is redrawn below
            else:
                self.stream.write(line + "\n")
                self.stream.flush()
        if self.bar is not None and k == self.epochs:
            self.bar.close()

    def abort(self) -> None:
        """Training stopped early: close the bar where it is, so the error prints below it."""
        if self.bar is not None:
            self.bar.close()
