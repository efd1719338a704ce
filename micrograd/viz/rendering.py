"""From DOT text to pictures: the graph object draw() returns, Graphviz's `dot` run on it
(`pipe`), pictures written to files in one step (`render`), and display in Jupyter.

Only rendering needs Graphviz's `dot` program; without it `pipe` and `render` raise
GraphvizNotFoundError, which says how to install it, before anything is written.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..errors import DrawError, GraphvizNotFoundError
from ..files import write_atomically

try:  # the Python package is optional: without it draw() returns a DotGraph
    import graphviz as _graphviz
except ImportError:  # pragma: no cover - exercised by monkeypatching _graphviz in tests
    _graphviz = None

__all__ = ["render", "pipe", "DotGraph", "as_graph", "FORMATS", "INSTALL_HINT"]

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH; it is needed to render pictures "
    "(the DOT text is still available as graph.source). Install Graphviz with one of: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or the installer from graphviz.org (Windows), "
    "then make sure `dot -V` works in a new shell.")

# Formats `render` writes: the image formats go through `dot`, DOT text does not.
FORMATS = ("svg", "png", "pdf", "dot", "gv")
_TEXT_FORMATS = ("dot", "gv")
DOT_TIMEOUT = 300  # seconds; a graph dot cannot lay out in five minutes is an error


def find_dot() -> str | None:
    """The path of Graphviz's `dot`, or None."""
    return shutil.which("dot")


def pipe(graph: Any, format: str = "svg") -> bytes:
    """The picture as bytes in `format` (svg, png, pdf) made by Graphviz's `dot`; dot/gv
    give the DOT text. `graph`: from draw(), a graphviz.Digraph, or DOT text."""
    source = graph if isinstance(graph, str) else graph.source
    if format in _TEXT_FORMATS:
        return source.encode("utf-8")
    if format not in FORMATS:
        raise DrawError(f"render: cannot write format {format!r}; use one of {', '.join(FORMATS)}")
    exe = find_dot()
    if exe is None:
        raise GraphvizNotFoundError(INSTALL_HINT)
    try:
        done = subprocess.run([exe, f"-T{format}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=DOT_TIMEOUT)
    except FileNotFoundError:  # removed between which() and run()
        raise GraphvizNotFoundError(INSTALL_HINT) from None
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DrawError(f"render: running {exe} failed: {e}") from None
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise DrawError(f"render: `dot -T{format}` failed (exit {done.returncode}): {err}")
    return done.stdout



def render(graph: Any, path: str | os.PathLike, format: str | None = None) -> Path:
    """Write `graph` (from draw(), a Digraph, or DOT text) to `path`; the format is
    the extension (.svg, .png, .pdf; .dot/.gv write the DOT text without Graphviz).

    The picture is made in memory first and the file written in one step, so a
    missing `dot` (GraphvizNotFoundError) or a failing one (DrawError) leaves no file.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if not fmt:
        raise DrawError(f"render: {str(path)!r} has no extension; name it .svg, .png or .pdf")
    data = pipe(graph, fmt)
    return write_atomically(path, lambda f: f.write(data))


def _mimebundle(source: str) -> dict:
    """What Jupyter shows: the SVG when `dot` can make it, else the DOT text."""
    try:
        return {"image/svg+xml": pipe(source, "svg").decode("utf-8")}
    except (GraphvizNotFoundError, DrawError):
        return {"text/plain": source}


class DotGraph:
    """What draw() returns when the graphviz Python package is not installed: the same
    `.source` text, `render(path)`, `pipe(format)`, and inline display in Jupyter."""

    def __init__(self, source: str):
        self.source = source

    def __str__(self) -> str:
        return self.source

    def render(self, path: str | os.PathLike) -> Path:
        return render(self, path)

    def pipe(self, format: str = "svg") -> bytes:
        return pipe(self, format)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict:
        return _mimebundle(self.source)


if _graphviz is not None:
    class Graph(_graphviz.Digraph):
        """A graphviz.Digraph that shows its DOT text in Jupyter instead of failing when
        Graphviz's `dot` is not installed."""

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kw: Any) -> dict:
            if find_dot() is None:
                return {"text/plain": self.source}
            return super()._repr_mimebundle_(include=include, exclude=exclude, **kw)
else:  # pragma: no cover
    Graph = None  # type: ignore[misc, assignment]


def as_graph(body: list[str]) -> Any:
    """The DOT body (statements, one a line) as a graphviz.Digraph, or a DotGraph with
    the same .source when the graphviz package is not installed."""
    if _graphviz is not None:
        return Graph(name="micrograd", body=body)
    return DotGraph("digraph micrograd {\n" + "".join(body) + "}\n")
