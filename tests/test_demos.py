"""The demos run in fast mode and write their pictures; `micrograd demo` trains and reports."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd.cli import main as cli_main
from micrograd.lab.demo import demo_options

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
    result = subprocess.run([sys.executable, str(ROOT / "demos" / "circles.py"), "--out", str(tmp_path)],
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
