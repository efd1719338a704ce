"""The `micrograd` command fails like a good Unix tool: every argument checked before any
work, one `micrograd CMD: error: ...` line on stderr, exit 2 for usage and 1 for the
work, 130 on Ctrl-C, and never a traceback unless --debug or MICROGRAD_DEBUG=1."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import micrograd as mg
from micrograd.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_work(monkeypatch):
    """Make every piece of real work fail loudly if a command starts it."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the command started its work before rejecting its arguments")

    monkeypatch.setattr("micrograd.lab.demo.circles_experiment", forbidden)
    monkeypatch.setattr("micrograd.lab.demo.fit", forbidden)
    monkeypatch.setattr("micrograd.lab.compare.run_compare", forbidden)
    monkeypatch.setattr("micrograd.lab.graphs.draw_family", forbidden)
    monkeypatch.setattr("micrograd.cli.check.gradcheck", forbidden)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty current folder, with a file and a folder to aim outputs at."""
    (tmp_path / "a-file.txt").write_text("keep me")
    (tmp_path / "a-folder.svg").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


# (argv, exit code, a fragment of the one stderr line). Every row must fail before any work.
REFUSED = [
    (["demo", "--epochs", "-1"], 2, "argument --epochs: must be at least 1, got -1"),
    (["demo", "--epochs", "0"], 2, "argument --epochs: must be at least 1, got 0"),
    (["demo", "--epochs", "many"], 2, "argument --epochs: expected a whole number"),
    (["demo", "--out", "a-file.txt"], 1, "a-file.txt: is a file, not a folder"),
    (["demo", "-o", "a-file.txt/sub"], 1, "cannot create it, "),
    (["demo", "--seed", "-1"], 2, "argument --seed: must be at least 0, got -1"),
    (["check", "--seed", "-1"], 2, "argument --seed: must be at least 0, got -1"),
    (["graph", "--seed", "-1", "-o", "g.svg"], 2, "argument --seed: must be at least 0"),
    (["compare", "--plot", "x.txt"], 2,
     "cannot write a .txt file (x.txt); name it .png, .pdf or .svg"),
    (["compare", "--json", "/nonexistent/dir/x.json"], 1,
     "the folder /nonexistent/dir does not exist"),
    (["compare", "--json", "a-folder.svg"], 1, "a-folder.svg: is a folder"),
    (["compare", "--max-partials", "-5"], 2,
     "argument --max-partials: must be at least 1, got -5"),
    (["compare", "--depth", "5:2"], 2, "the range '5:2' is empty"),
    (["compare", "--depth", "0:3"], 2, "depths must be at least 1, got 0"),
    (["compare", "--model", "tree"], 2, "argument --model: invalid choice: 'tree'"),
    (["compare", "--model", "lab", "--depth", "3"], 2, "--depth does not apply to --model lab"),
    (["compare", "--model", "ladder", "--batch", "2"], 2,
     "--batch does not apply to --model ladder"),
    (["compare", "--model", "ladder", "--fused"], 2, "--model ladder has no fused form"),
    (["compare", "--form", "both", "--fused"], 2, "not allowed with argument --form"),
    (["compare", "--plot", "same.png", "--json", "same.png"], 2, "both name same.png"),
    (["compare", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["graph", "--model", "chain", "--sizes", "2,3", "-o", "g.svg"], 2,
     "--sizes does not apply to --model chain"),
    (["graph", "--model", "mlp", "--sizes", "2,3", "--depth", "2", "-o", "g.svg"], 2,
     "leave out --depth and --width"),
    (["graph", "--sizes", "2,x", "--model", "mlp", "-o", "g.svg"], 2,
     "sizes must be whole numbers"),
    (["graph", "--max-partials", "10", "-o", "g.svg"], 2,
     "--max-partials only applies with --naive-counts"),
    (["graph", "-o", "g.xyz"], 2, "cannot write a .xyz file (g.xyz)"),
    (["graph", "-o", "a-folder.svg"], 1, "a-folder.svg: is a folder; give a file name inside it"),
    (["graph", "-o", "missing/g.svg"], 1, "the folder missing does not exist"),
    (["graph", "--max-nodes", "1", "-o", "g.svg"], 2,
     "argument --max-nodes: must be at least 2"),
    (["bogus"], 2, "argument COMMAND: invalid choice: 'bogus'"),
]
if Path("/proc").is_dir():  # a folder nobody can create, not even root
    REFUSED.append((["demo", "--out", "/proc/x/y"], 1,
                    "--out /proc/x/y: cannot create it in /proc"))


def _one_line(err: str, prog: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(f"{prog}: error: "), line
    assert "Traceback" not in err
    # no doubled prefix such as "micrograd compare: compare: ..."
    command = prog.split()[-1]
    assert f"{command}: {command}:" not in line and line.count(f"{prog}:") == 1, line
    return line


@pytest.mark.parametrize("argv,code,fragment", REFUSED, ids=[" ".join(r[0]) for r in REFUSED])
def test_bad_invocations_fail_in_one_line_before_any_work(argv, code, fragment, workdir, no_work,
                                                          capsys):
    before = sorted(p.name for p in workdir.iterdir())
    assert main(argv) == code
    out, err = capsys.readouterr()
    prog = "micrograd" if argv[0] == "bogus" else f"micrograd {argv[0]}"
    assert fragment in _one_line(err, prog)
    assert out == ""
    assert sorted(p.name for p in workdir.iterdir()) == before  # nothing written
    assert (workdir / "a-file.txt").read_text() == "keep me"


def test_naive_counts_over_the_budget_is_one_line_and_writes_nothing(workdir, capsys):
    start = time.perf_counter()
    argv = ["graph", "--model", "ladder", "--depth", "30", "--naive-counts", "-o", "l.svg"]
    assert main(argv) == 1
    assert time.perf_counter() - start < 5  # refused from the count, not after trying
    line = _one_line(capsys.readouterr().err, "micrograd graph")
    need = 3 * 2 ** 30 - 2
    assert f"would evaluate {need:,} local partials" in line and f"--max-partials {need}" in line
    assert not (workdir / "l.svg").exists()


def test_missing_graphviz_is_one_line_with_the_way_out(workdir, monkeypatch, no_work, capsys):
    empty = workdir / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(["graph", "-o", "g.png"]) == 1
    line = _one_line(capsys.readouterr().err, "micrograd graph")
    assert "needs Graphviz's `dot`" in line and "-o g.dot" in line
    assert not (workdir / "g.png").exists()


def test_micrograd_alone_prints_usage_to_stderr_and_exits_2(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: micrograd")
    assert all(name in err for name in ("check", "demo", "compare", "graph"))


def test_help_and_version_exit_0(capsys):
    assert main(["--help"]) == 0
    assert main(["graph", "--help"]) == 0
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert "usage: micrograd graph" in out and f"micrograd {mg.__version__}" in out


def test_every_option_of_every_command_is_documented_and_out_is_short():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        assert command.description and "cmd_" not in command.description, name
        for action in command._actions:
            assert action.help and action.help != argparse.SUPPRESS, (name, action.option_strings)
        outs = [a for a in command._actions if "--out" in a.option_strings]
        if outs:
            assert "-o" in outs[0].option_strings, name


def test_ctrl_c_exits_130_quietly(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("micrograd.lab.compare.run_compare", interrupted)
    monkeypatch.delenv("MICROGRAD_DEBUG", raising=False)
    assert main(["compare", "--depth", "3"]) == 130
    assert capsys.readouterr().err == ""


def test_debug_shows_the_traceback_otherwise_one_line(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the lab")

    monkeypatch.setattr("micrograd.lab.compare.run_compare", broken)
    monkeypatch.delenv("MICROGRAD_DEBUG", raising=False)
    assert main(["compare", "--depth", "3"]) == 1
    line = _one_line(capsys.readouterr().err, "micrograd compare")
    assert "internal error, RuntimeError: a bug in the lab" in line and "--debug" in line
    with pytest.raises(RuntimeError, match="a bug in the lab"):
        main(["compare", "--depth", "3", "--debug"])
    with pytest.raises(RuntimeError):
        main(["--debug", "compare", "--depth", "3"])
    monkeypatch.setenv("MICROGRAD_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["compare", "--depth", "3"])
    with pytest.raises(KeyboardInterrupt):
        monkeypatch.setattr("micrograd.lab.compare.run_compare",
                            lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
        main(["compare", "--depth", "3"])


def test_a_library_error_during_the_work_is_one_line(monkeypatch, capsys):
    def refuses(*args, **kwargs):
        raise mg.ShapeError("linear: inputs of shape (3,)\ndo not fit")

    monkeypatch.setattr("micrograd.lab.compare.run_compare", refuses)
    monkeypatch.delenv("MICROGRAD_DEBUG", raising=False)
    assert main(["compare"]) == 1
    line = _one_line(capsys.readouterr().err, "micrograd compare")
    assert line.endswith("linear: inputs of shape (3,) do not fit")


def test_no_progress_trains_quietly(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the demo draws with matplotlib")
    assert main(["demo", "--fast", "--no-progress", "--epochs", "3", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/3" not in out and "trained 3 epochs" in out


# --------------------------------------------------------------------------- real processes

def _micrograd(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("MICROGRAD_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "micrograd", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env, **kwargs)


@pytest.mark.parametrize("argv,code", [(["demo", "--epochs", "-1"], 2),
                                       (["graph", "--model", "ladder", "--depth", "30",
                                         "--naive-counts", "-o", "/nonexistent/l.svg"], 1),
                                       (["compare", "--json", "/nonexistent/dir/x.json"], 1)])
def test_no_traceback_reaches_the_terminal(argv, code):
    done = _micrograd(*argv)
    assert done.returncode == code
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stdout == ""


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
def test_ctrl_c_in_a_real_process_exits_130_without_a_traceback(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    env.pop("MICROGRAD_DEBUG", None)
    proc = subprocess.Popen([sys.executable, "-m", "micrograd", "demo", "--epochs", "100000",
                             "--no-progress", "-o", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            # A child inherits an ignored SIGINT (a background job's, mutmut's
                            # workers'), and Python then never raises KeyboardInterrupt.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    proc.stdout.readline()  # the first line is printed when training starts
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == ""
