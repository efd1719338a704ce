"""The demos run in fast mode and write their pictures; `micrograd demo` trains and reports,
with a progress bar that fits an 80-column terminal and stays out of files and pipes."""
from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd.cli import main as cli_main
from micrograd.cli.options import demo_options

ROOT = Path(__file__).resolve().parents[1]
DEMOS = {
    "circles": ["circles_boundary.png", "circles_curves.png", "circles_mlp.npz"],
    "gd_variants": ["gd_variants.png"],
    "learning_rate": ["learning_rate.png"],
    "losses": ["losses.png"],
    "digits": ["digits_curves.png", "digits_predictions.png"],
}


def load_demo(name: str):
    spec = importlib.util.spec_from_file_location(f"demo_{name}", ROOT / "demos" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_pngs(folder: Path, names: list[str]) -> None:
    for name in names:
        path = folder / name
        assert path.is_file(), f"{name} was not written"
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_demo_runs_fast_and_writes_its_files(name, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the demos draw with matplotlib")
    if name == "digits":
        pytest.importorskip("sklearn", reason="the digits demo needs scikit-learn's bundled images")
    assert load_demo(name).main(["--fast", "--out", str(tmp_path)]) == 0
    assert_pngs(tmp_path, DEMOS[name])
    out = capsys.readouterr().out
    assert "nan" not in out.lower().split("wrote")[0]
    if name == "learning_rate":
        assert "stopped by DivergenceError" in out
    if name == "digits":
        test_acc = float(out.split("test ")[1].split("%")[0])
        assert test_acc >= 95.0


def test_micrograd_demo_command(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the demo draws with matplotlib")
    assert cli_main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    test_acc = float(out.split("test ")[1].split("%")[0])
    assert test_acc >= 98.0, out
    assert "train" in out and "val" in out and str(tmp_path.resolve()) in out
    assert_pngs(tmp_path, ["circles_boundary.png", "circles_curves.png"])


def test_a_demo_runs_as_a_script_with_the_env_switch(tmp_path):
    pytest.importorskip("matplotlib", reason="the demos draw with matplotlib")
    script = str(ROOT / "demos" / "circles.py")
    result = subprocess.run([sys.executable, script, "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={"MICROGRAD_FAST": "1", "PATH": "", "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr
    assert "epoch 40/40" in result.stdout  # fast mode: 40 epochs instead of 100
    assert_pngs(tmp_path, DEMOS["circles"])


def test_fast_switch_and_default_out(monkeypatch):
    monkeypatch.delenv("MICROGRAD_FAST", raising=False)
    args = demo_options("x", [])
    assert not args.fast and str(args.out) == "micrograd-out"
    monkeypatch.setenv("MICROGRAD_FAST", "1")
    assert demo_options("x", []).fast


def test_demo_scripts_refuse_bad_options_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        demo_options("x", ["--seed", "-1"])
    assert info.value.code == 2
    a_file = tmp_path / "file.txt"
    a_file.write_text("")
    with pytest.raises(SystemExit) as info:
        demo_options("x", ["--out", str(a_file)])
    assert info.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "--seed" in err[0] and "is a file, not a folder" in err[1]


# --------------------------------------------------------------------------- progress

def _fit(stream, verbose, epochs=3):
    from micrograd import data, nn, optim
    from micrograd.nn import functional as F
    from micrograd.train import fit

    X, y = data.circles(60, noise=0.1, factor=0.5, seed=0)
    model = nn.MLP([2, 4, 2], seed=0)
    fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.05), (X, y), (X, y),
        epochs=epochs, batch_size=20, verbose=verbose, stream=stream)


def test_progress_is_silent_off_a_terminal_but_asked_for_lines_are_written():
    quiet = io.StringIO()
    _fit(quiet, verbose=True)
    assert quiet.getvalue() == ""  # a bar only: nothing in a file or a pipe
    log = io.StringIO()
    _fit(log, verbose=2, epochs=5)
    lines = log.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["1/5", "2/5", "4/5", "5/5"]
    assert "val loss" in lines[0] and "\r" not in log.getvalue()
    off = io.StringIO()
    _fit(off, verbose=False)
    assert off.getvalue() == ""


def test_progress_bar_on_a_terminal_without_a_size_fits_columns(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("COLUMNS", "50")
    tty = Terminal()
    _fit(tty, verbose=True, epochs=4)
    segments = [s for s in re.split(r"[\r\n]", tty.getvalue()) if s.strip()]
    assert any(s.startswith("epoch 4/4 |") for s in segments)
    assert max(len(s) for s in segments) <= 49


def _on_a_pty(args, columns=80):
    """Run `args` with stdout and stderr on a pseudo-terminal `columns` wide; (exit code, text)."""
    pty, termios, fcntl = (pytest.importorskip(m) for m in ("pty", "termios", "fcntl"))
    import struct
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("COLUMNS", None)  # the width must come from the terminal itself
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=120), out.decode("utf-8", "replace")


def test_micrograd_demo_bar_does_not_wrap_in_an_80_column_terminal(tmp_path):
    pytest.importorskip("matplotlib", reason="the demo draws with matplotlib")
    code, text = _on_a_pty([sys.executable, "-m", "micrograd", "demo", "--fast",
                            "-o", str(tmp_path)])
    assert code == 0, text
    visible = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", s) for s in re.split(r"[\r\n]", text)]
    assert any(s.startswith("epoch 40/40 |") for s in visible), text  # the bar was drawn
    # Every line but the one naming the (long) temporary folder: bars, epoch lines, report.
    too_wide = [s for s in visible if len(s) >= 80 and str(tmp_path) not in s]
    assert not too_wide, too_wide
