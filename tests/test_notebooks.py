"""The notebooks of docs/notebooks/ run from top to bottom without an error, and are
committed without outputs (they are built on the library: running them is their test)."""
from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "docs" / "notebooks").glob("*.ipynb"))


def test_there_are_the_five_notebooks_the_lab_page_lists():
    names = [p.name for p in NOTEBOOKS]
    assert names == ["1-the-network-by-hand.ipynb", "2-backprop-vs-naive.ipynb",
                     "3-training-and-its-pitfalls.ipynb", "4-seeing-the-graph.ipynb",
                     "5-curvature-and-the-learning-rate.ipynb"]
    page = (NOTEBOOKS[0].parents[1] / "lab.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in page for name in names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_is_committed_without_outputs(path):
    nbformat = pytest.importorskip("nbformat", reason="reading notebooks needs nbformat: "
                                   "pip install nbformat")
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (path.name,
                                                                         cell.source[:60])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_runs_without_an_error(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="running notebooks needs nbformat: "
                                   "pip install nbformat nbclient ipykernel")
    nbclient = pytest.importorskip("nbclient", reason="running notebooks needs nbclient: "
                                   "pip install nbclient ipykernel")
    pytest.importorskip("ipykernel", reason="running notebooks needs a Python kernel: "
                        "pip install ipykernel")
    pytest.importorskip("matplotlib", reason="the notebooks draw with matplotlib")
    book = nbformat.read(path, as_version=4)
    # the kernel is this interpreter (ipykernel's own spec), run from a scratch folder
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    client = nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on a failure
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert not list(path.parent.glob("*.png"))  # pictures go to a scratch folder, not docs/
