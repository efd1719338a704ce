"""What fit shows while it trains (micrograd/train/progress.py): the log lines' exact text,
the numbers next to the bar, when the bar appears, how wide it is, and that it is closed."""
from __future__ import annotations

import io
import os
import re
import sys

import pytest

from micrograd.train.history import History
from micrograd.train.progress import Progress, _metrics, _score, _terminal_bar

pytest.importorskip("tqdm", reason="fit's progress bar is drawn by tqdm")


def _history(metric="accuracy", val=True, epochs=1):
    h = History(metric=metric)
    for k in range(epochs):
        h.train_loss.append(0.5 / (k + 1))
        if metric:
            h.train_metric.append(0.5 + 0.1 * k)
        if val:
            h.val_loss.append(0.25 / (k + 1))
            if metric:
                h.val_metric.append(0.75 + 0.01 * k)
    return h


class Terminal(io.StringIO):
    """A stream that says it is a terminal but has no size to ask (no fileno)."""

    def isatty(self):
        return True


@pytest.mark.parametrize("metric, width, want", [
    ("accuracy", 0, "acc 93.8%"),
    ("accuracy", 6, "acc   93.8%"),
    ("r2", 0, "r2 0.9375"),
    ("mse", 5, "mse 0.9375"),  # width pads percentages only
    (None, 0, ""),
])
def test_the_score_is_a_percentage_for_accuracy_and_a_number_otherwise(metric, width, want):
    assert _score(History(metric=metric), [0.1, 0.9375], width) == want


@pytest.mark.parametrize("metric, val, want", [
    ("accuracy", True, "loss 0.5000 acc 50.0% | val 0.2500 75.0%"),
    ("accuracy", False, "loss 0.5000 acc 50.0%"),
    ("r2", True, "loss 0.5000 r2 0.5 | val 0.2500 r2 0.75"),
    (None, True, "loss 0.5000 | val 0.2500"),
    (None, False, "loss 0.5000"),
])
def test_the_numbers_beside_the_bar(metric, val, want):
    assert _metrics(_history(metric, val)) == want


def test_lines_come_on_the_first_the_last_and_every_kth_epoch_exactly():
    stream = io.StringIO()
    progress = Progress(stream, epochs=10, every=4)
    assert progress.bar is None  # not a terminal
    h = History(metric="accuracy")
    for k in range(1, 11):
        h.train_loss.append(1 / k)
        h.train_metric.append(k / 10)
        h.val_loss.append(2 / k)
        h.val_metric.append(k / 20)
        progress.epoch(k, h)
    assert stream.getvalue().splitlines() == [
        "epoch  1/10  train loss 1.0000 / acc  10.0% | val loss 2.0000 / acc   5.0%",
        "epoch  4/10  train loss 0.2500 / acc  40.0% | val loss 0.5000 / acc  20.0%",
        "epoch  8/10  train loss 0.1250 / acc  80.0% | val loss 0.2500 / acc  40.0%",
        "epoch 10/10  train loss 0.1000 / acc 100.0% | val loss 0.2000 / acc  50.0%",
    ]


def test_a_line_without_a_metric_or_validation_has_no_separator():
    stream = io.StringIO()
    progress = Progress(stream, epochs=2, every=1)
    h = _history(metric=None, val=False, epochs=2)
    progress.epoch(1, h)
    assert stream.getvalue() == "epoch 1/2  train loss 0.2500\n"


def test_every_zero_writes_no_line():
    stream = io.StringIO()
    progress = Progress(stream, epochs=3, every=0)
    for k in range(1, 4):
        progress.epoch(k, _history(epochs=k))
    assert stream.getvalue() == ""


def test_on_a_terminal_the_bar_counts_epochs_shows_the_numbers_and_closes_at_the_end(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream = Terminal()
    progress = Progress(stream, epochs=3, every=0)
    bar = progress.bar
    assert bar is not None and bar.total == 3 and bar.ncols == 99  # one short of $COLUMNS
    for k in range(1, 4):
        h = _history(epochs=k)
        progress.epoch(k, h)
        assert bar.n == k
        assert bar.postfix == _metrics(h)
        assert bar.disable == (k == 3)  # tqdm marks a closed bar disabled
    assert "3/3" in stream.getvalue() and _metrics(h) in stream.getvalue()


def test_on_a_terminal_lines_are_written_above_the_bar_on_the_same_stream(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream = Terminal()
    progress = Progress(stream, epochs=2, every=1)
    progress.epoch(1, _history(epochs=1))
    shown = stream.getvalue()
    assert "epoch 1/2  train loss 0.5000 / acc  50.0% | val loss 0.2500 / acc  75.0%\n" in shown


def test_abort_closes_the_bar_where_it_stands(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    progress = Progress(Terminal(), epochs=5, every=0)
    progress.epoch(1, _history())
    progress.abort()
    assert progress.bar.disable and progress.bar.n == 1
    Progress(io.StringIO(), epochs=5, every=0).abort()  # no bar: nothing to close, no error


def test_a_real_terminal_gets_a_bar_that_follows_its_width():
    pty = pytest.importorskip("pty", reason="needs a pseudo-terminal (POSIX)")
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as stream:
            bar = _terminal_bar(stream, 4)
            assert bar is not None and bar.dynamic_ncols
            bar.close()
    finally:
        os.close(master)
        os.close(slave)


def test_without_a_terminal_there_is_no_bar():
    assert _terminal_bar(io.StringIO(), 4) is None

    class NoIsatty:
        def write(self, s):
            pass

    assert _terminal_bar(NoIsatty(), 4) is None


def test_in_a_notebook_the_widget_is_used_on_stdout_only(monkeypatch):
    import tqdm.auto

    made = []

    class Widget:
        def __init__(self, **options):
            made.append(options)

    Widget.__module__ = "tqdm.notebook"  # what tqdm.auto picks in Jupyter
    monkeypatch.setattr(tqdm.auto, "tqdm", Widget)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert isinstance(_terminal_bar(sys.stdout, 7), Widget)
    assert made[0]["total"] == 7 and made[0]["file"] is sys.stdout
    assert _terminal_bar(io.StringIO(), 7) is None  # a file, even in a notebook: no bar


def test_the_bar_reads_epoch_k_of_n_then_the_time_then_the_numbers(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    stream = Terminal()
    progress = Progress(stream, epochs=3, every=0)
    for k in range(1, 4):
        h = _history(epochs=k)
        progress.epoch(k, h)
    last = stream.getvalue().rstrip("\n").split("\r")[-1]
    assert re.fullmatch(rf"epoch 3/3 \|[█#]+\| \d\d:\d\d, {re.escape(_metrics(h))} *", last), last
    assert stream.getvalue().endswith("\n")  # left on screen when done


def test_the_numbers_do_not_redraw_the_bar_on_their_own(monkeypatch):
    """set_postfix_str(refresh=False): one epoch is one update of the bar, not two draws
    (tqdm draws at the start, at the close, and on updates at most every 0.1 s)."""
    monkeypatch.setenv("COLUMNS", "120")
    stream = Terminal()
    progress = Progress(stream, epochs=6, every=0)
    for k in range(1, 7):
        progress.epoch(k, _history(epochs=k))
    assert stream.getvalue().count("\r") <= 6


def test_a_terminal_on_stdout_outside_a_notebook_gets_the_terminal_bar(monkeypatch):
    import tqdm.auto
    import tqdm.std

    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.std.tqdm)  # what tqdm.auto is in a terminal
    monkeypatch.setenv("COLUMNS", "50")
    monkeypatch.setattr(sys, "stdout", Terminal())
    bar = _terminal_bar(sys.stdout, 3)
    assert bar.ncols == 49  # sized as a terminal, not left to a widget
    bar.close()
