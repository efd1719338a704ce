"""`micrograd compare` and its library: micrograd.lab.compare (the rows), report (the text),
compare_plot (the figure)."""
from __future__ import annotations

import argparse
import json
import re
import sys

import numpy as np
import pytest

from micrograd.cli import main
from micrograd.cli.options import parse_depths
from micrograd.lab.closed_forms import closed_form
from micrograd.lab.compare import agreement, run_compare
from micrograd.lab.compare_plot import plot_compare
from micrograd.lab.report import format_table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_chain_writes_json_and_png(tmp_path, capsys):
    out_json, out_png = tmp_path / "out.json", tmp_path / "out.png"
    code = main(["compare", "--model", "chain", "--depth", "1:4",
                 "--json", str(out_json), "--plot", str(out_png)])
    assert code == 0
    text = capsys.readouterr().out
    assert "naive/bp" in text and "partials" in text and "flops" in text
    rows = json.loads(out_json.read_text())["rows"]
    assert [r["depth"] for r in rows] == [1, 2, 3, 4]
    for r in rows:
        for mode in ("backprop", "naive", "forward"):
            assert not r[mode]["skipped"]
            want = closed_form("chain", r["depth"])[mode]
            assert r[mode]["partials"] == r["closed_form"][mode] == want
            assert r[mode]["flops"] > 0 and r[mode]["seconds"] >= 0
        assert r["agree"] == {"naive": True, "forward": True}
        assert r["naive/backprop"] == r["naive"]["partials"] / r["backprop"]["partials"]
    # naive/backprop grows with depth, by about 0.6 per layer
    ratios = [r["naive/backprop"] for r in rows]
    assert all(0.5 < b - a < 0.8 for a, b in zip(ratios, ratios[1:], strict=False))
    data = out_png.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


@pytest.mark.parametrize("model,depth", [("ladder", "1:6"), ("mlp", "1:3"), ("mlp", "2")])
def test_other_models_run(model, depth, capsys):
    assert main(["compare", "--model", model, "--depth", depth]) == 0
    text = capsys.readouterr().out
    assert f"model {model}" in text
    assert text.count(" yes") == len(parse_depths(depth))


def test_over_budget_modes_are_reported_as_skipped(tmp_path, capsys):
    out_json = tmp_path / "ladder.json"
    # ladder naive needs 3·2^L - 2: 94 at L = 5, 190 at L = 6.
    code = main(["compare", "--model", "ladder", "--depth", "4:6", "--max-partials", "100",
                 "--json", str(out_json)])
    assert code == 0
    text = capsys.readouterr().out
    assert "depth 6, naive: skipped (would need 190 partials)" in text
    assert "depth 5, naive: skipped" not in text
    rows = json.loads(out_json.read_text())["rows"]
    assert rows[2]["naive"] == {"skipped": True, "need": 190}
    assert rows[2]["naive/backprop"] is None and rows[2]["agree"]["naive"] is None
    assert rows[2]["forward"]["skipped"] is False and rows[2]["agree"]["forward"] is True


def test_plot_without_matplotlib_says_how_to_install(monkeypatch, tmp_path, capsys):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    code = main(["compare", "--depth", "1", "--plot", str(tmp_path / "x.png")])
    assert code == 1
    assert "pip install 'micrograd[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_parse_depths():
    assert parse_depths("5") == [5]
    assert parse_depths("1:4") == [1, 2, 3, 4]
    assert parse_depths("2:8:3") == [2, 5, 8]
    assert parse_depths("1,2,4") == [1, 2, 4]
    assert parse_depths("4:4") == [4]
    for bad in ["0", "a:b", "3:1", "1:5:0", "1:2:3:4", "", "1,,2", "0:3"]:
        with pytest.raises(argparse.ArgumentTypeError):
            parse_depths(bad)


def test_bad_depth_is_a_usage_error(capsys):
    assert main(["compare", "--depth", "zero"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("micrograd compare: error: argument --depth: cannot read 'zero'")
    assert "A:B" in err and err.count("\n") == 1


def test_python_api_for_the_demo(tmp_path):
    rows = run_compare("chain", [1, 3], width=3, batch=2)
    assert [r["backprop"]["partials"] for r in rows] == [6, 16]
    assert [r["naive"]["partials"] for r in rows] == [9, 45]
    table = format_table(rows)
    assert table.splitlines()[1].split()[:2] == ["depth", "params"]
    path = tmp_path / "api.png"
    plot_compare(rows, path, title="chain")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError):
        run_compare("tree", [1])
    with pytest.raises(ValueError):
        run_compare("chain", [1], modes=("naive",))


def test_agreement_is_elementwise_with_a_floor_for_near_zero_entries():
    import numpy as np

    ref = [np.array([1.0, -2.0, 1e-20]), None]
    assert agreement([ref[0] * (1 + 1e-14), None], ref) == (True, pytest.approx(1e-14, rel=1e-3))
    assert agreement([ref[0] + [0, 0, 1e-14], None], ref)[0]          # under 1e-13 · max|ref|
    assert not agreement([ref[0] + [0, 0, 1e-12], None], ref)[0]
    assert not agreement([ref[0] * (1 + 1e-10), None], ref)[0]
    assert not agreement([ref[0], np.zeros(1)], ref)[0]               # a gradient where none is due


def test_table_with_a_subset_of_modes():
    rows = run_compare("ladder", [2, 3], modes=("backprop", "forward"))
    lines = format_table(rows).splitlines()
    assert "naive" not in lines[1] and "forward/bp" in lines[1]
    assert len({len(line) for line in lines[:2]}) == 1  # the two header lines line up


def test_both_forms_print_two_tables_and_write_both_into_the_json(tmp_path, capsys):
    out_json = tmp_path / "both.json"
    assert main(["compare", "--model", "chain", "--depth", "1:3", "--form", "both",
                 "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "model chain (unfused" in text and "model chain (fused" in text
    assert "backprop 5L+1" in text and "backprop 4L+1" in text
    rows = json.loads(out_json.read_text())["rows"]
    assert [(r["form"], r["depth"]) for r in rows] == [
        ("unfused", 1), ("unfused", 2), ("unfused", 3), ("fused", 1), ("fused", 2), ("fused", 3)]
    for r in rows:
        want = closed_form("chain", r["depth"], fused=r["form"] == "fused")
        assert {m: r[m]["partials"] for m in ("backprop", "naive", "forward")} == want
        assert r["agree"] == {"naive": True, "forward": True}
    assert rows[3]["backprop"]["partials"] == 5 and rows[0]["backprop"]["partials"] == 6


def test_the_lab_network_is_one_row_and_fused_shows_what_the_demo_trains(capsys):
    assert main(["compare", "--model", "lab", "--fused"]) == 0
    text = capsys.readouterr().out
    row = [line for line in text.splitlines() if line.lstrip().startswith("1 ")]
    assert len(row) == 1 and row[0].split("|")[1].split() == ["7", "12", "164"]


def test_both_forms_plot_in_one_figure(tmp_path):
    rows = run_compare("mlp", [1, 2]) + run_compare("mlp", [1, 2], fused=True)
    path = plot_compare(rows, tmp_path / "both.svg")
    svg = path.read_text()
    assert "(fused)" in svg and "(unfused)" in svg


# --------------------------------------------------------------------------- finite differences

def test_finite_differences_are_a_fourth_column_counted_in_loss_evaluations(tmp_path, capsys):
    out_json = tmp_path / "fd.json"
    assert main(["compare", "--model", "chain", "--depth", "1:3", "--width", "3",
                 "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "evals" in text and "fd/bp" in text and "cheap-gradient constant" in text
    for r in json.loads(out_json.read_text())["rows"]:
        fd = r["fd"]
        # two loss evaluations per scalar parameter, each one forward pass
        assert fd["evals"] == 2 * r["params"]
        assert fd["ops"] == fd["evals"] * r["forward_ops"]
        assert fd["flops"] == fd["evals"] * r["forward_flops"]
        assert fd["agree"] is True and fd["max_rel_err"] < 1e-6
        assert r["fd/backprop"] == fd["flops"] / (r["forward_flops"] + r["backprop"]["flops"])
        assert r["backprop/forward flops"] == r["backprop"]["flops"] / r["forward_flops"]
        line = next(s for s in text.splitlines() if s.lstrip().startswith(f"{r['depth']} "))
        assert line.split("|")[2].strip() == f"{fd['evals']:,}"


def test_finite_differences_are_the_gradient(monkeypatch):
    """A wrong backprop gradient is caught by fd's column: its agreement is its own check."""
    from micrograd.lab import compare

    (row,) = run_compare("mlp", [1], width=3, modes=("backprop",))
    assert row["fd"]["agree"]
    real = compare.finite_differences

    def off(m, eps=compare.FD_EPS):
        grads, evals = real(m, eps)
        grads[0] = grads[0] * (1 + 1e-4)  # one parameter's gradient off by 0.01 %
        return grads, evals

    monkeypatch.setattr(compare, "finite_differences", off)
    (row,) = run_compare("mlp", [1], width=3, modes=("backprop",))
    assert row["fd"]["agree"] is False and 1e-6 < row["fd"]["max_rel_err"] < 1e-3
    assert "fd: differs from backprop" in format_table([row])


def test_finite_differences_over_budget_are_skipped_before_any_evaluation(capsys):
    # chain depth 2, width 4: 40 parameters, 8 forward ops a pass: 640 forward ops
    assert main(["compare", "--model", "chain", "--depth", "2", "--max-partials", "600"]) == 0
    text = capsys.readouterr().out
    assert "depth 2, fd: skipped (80 loss evaluations would run 640 forward ops)" in text


# --------------------------------------------------------------------------- the figure

def _figure(monkeypatch, rows, **options):
    """plot_compare's figure, caught before it is saved and closed."""
    from micrograd.lab import compare_plot

    caught = {}

    def keep(fig, path):
        caught["fig"] = fig
        fig.canvas.draw()
        return path

    monkeypatch.setattr(compare_plot, "save_figure", keep)
    plot_compare(rows, "unused.png", **options)
    return caught["fig"]


def test_slopes_are_read_on_log_log_axes_and_exponentials_on_semilog(monkeypatch):
    fig = _figure(monkeypatch, run_compare("chain", range(1, 9), modes=("backprop", "naive")))
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    labels = ax.get_legend_handles_labels()[1]
    slope = {lab.split()[0]: float(re.search(r"slope ([\d.]+)", lab)[1])
             for lab in labels if "slope" in lab}
    assert slope["backprop"] == pytest.approx(1.0, abs=0.1)  # 5L + 1
    assert slope["naive"] == pytest.approx(2.0, abs=0.25)    # 3L² + 6L
    fig = _figure(monkeypatch, run_compare("ladder", range(1, 9), modes=("backprop", "naive")))
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("linear", "log")
    naive = next(lab for lab in ax.get_legend_handles_labels()[1] if lab.startswith("naive"))
    factor = float(re.search(r"×([\d.]+) per level", naive)[1])
    assert factor == pytest.approx(2.0, abs=0.05)  # 3·2^L − 2


def test_the_ratio_label_sits_clear_of_its_own_line(monkeypatch):
    """The ladder's forward/backprop is a flat line at w = 4; its "×4.0" label used to sit
    on it."""
    fig = _figure(monkeypatch, run_compare("ladder", range(1, 9)))
    renderer = fig.canvas.get_renderer()
    checked = 0
    for ax in fig.axes[1:]:
        (line, *_) = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
        xy = ax.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
        dense = np.concatenate([np.linspace(a, b, 50) for a, b in zip(xy, xy[1:], strict=False)])
        for text in ax.texts:
            if not text.get_text().startswith("×"):
                continue
            box = text.get_window_extent(renderer).expanded(1.05, 1.2)
            inside = ((dense[:, 0] >= box.x0) & (dense[:, 0] <= box.x1)
                      & (dense[:, 1] >= box.y0) & (dense[:, 1] <= box.y1))
            assert not inside.any(), (ax.get_title(), text.get_text())
            checked += 1
    assert checked == 2
