"""The picture as nodes, edges and clusters (`Picture`), and the DOT text it is written as.

DOT is written here by hand, in one code path, whether or not the graphviz Python
package is installed: that package only wraps the text (see rendering.py).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .style import (
    CLUSTER,
    EDGE_FORWARD,
    EDGE_FORWARD_NO_GRAD,
    EDGE_GRAD,
    EDGE_LABEL_COLOUR,
    EDGE_MORE,
    EDGE_NO_GRAD,
    FONT,
    STYLE,
)

__all__ = ["Picture", "Html", "quote", "html_escape", "attrs_text"]

# What an edge carries, which picks its look: "grad" (into a tensor that requires grad,
# and every op → output edge), "nograd" (into a tensor that does not), "more" (from the
# summary node).
EDGE_KINDS = ("grad", "nograd", "more")


class Html(str):
    """A Graphviz HTML-like label, written between < and > instead of quotes."""


def quote(text: Any) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", "").replace("\n", "\\n") + '"'


def html_escape(text: Any) -> str:
    """Text safe inside an HTML-like label."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def attrs_text(attrs: Mapping[str, Any]) -> str:
    """` [k="v" …]` for the attributes that are not None; '' when there are none."""
    parts = []
    for k, v in attrs.items():
        if v is None:
            continue
        if k == "label" and isinstance(v, Html):
            parts.append(f"label=<{v}>")
        else:
            parts.append(f"{k}={quote(v)}")
    return " [" + " ".join(parts) + "]" if parts else ""


@dataclass
class Picture:
    """Nodes, edges and clusters, edges in the direction data flows; DOT text at the end.

    Edges are (src, dst, kind) with kind one of EDGE_KINDS; an edge label, when set,
    is in edge_labels[(src, dst)]. A node inside a cluster is in cluster_of.
    """
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    cluster_of: dict[str, str] = field(default_factory=dict)  # node id -> cluster id
    clusters: dict[str, str] = field(default_factory=dict)  # cluster id -> label
    edge_labels: dict[tuple[str, str], str] = field(default_factory=dict)

    def longest_path(self) -> int:
        """The number of nodes on the longest chain of edges (Kahn's order, no recursion)."""
        indeg = {n: 0 for n in self.nodes}
        succ: dict[str, list[str]] = {}
        for s, d, _ in self.edges:
            indeg[d] += 1
            succ.setdefault(s, []).append(d)
        depth = {n: 1 for n in self.nodes}
        ready = [n for n, k in indeg.items() if k == 0]
        while ready:
            n = ready.pop()
            for d in succ.get(n, ()):
                depth[d] = max(depth[d], depth[n] + 1)
                indeg[d] -= 1
                if indeg[d] == 0:
                    ready.append(d)
        return max(depth.values(), default=0)

    def summarise_beyond(self, keep_from: str, max_nodes: int) -> int:
        """Keep the max_nodes - 1 nodes nearest `keep_from` (breadth first, against the
        data flow) and replace the rest by one `more` node; returns how many were dropped."""
        if len(self.nodes) <= max_nodes:
            return 0
        preds: dict[str, list[str]] = {}
        for s, d, _ in self.edges:
            preds.setdefault(d, []).append(s)
        keep: dict[str, None] = {keep_from: None}  # a dict: ordered, unlike a set
        queue = deque([keep_from])
        budget = max(1, max_nodes - 1)
        while queue and len(keep) < budget:
            n = queue.popleft()
            for p in preds.get(n, ()):
                if p not in keep and len(keep) < budget:
                    keep[p] = None
                    queue.append(p)
        n_dropped = sum(1 for n in self.nodes if n not in keep)
        edges = []
        cut_off: dict[str, None] = {}  # kept nodes that lost an input to the summary
        for s, d, kind in self.edges:
            if s in keep and d in keep:
                edges.append((s, d, kind))
            elif d in keep:
                cut_off[d] = None
        edges += [("more", d, "more") for d in cut_off]
        self.nodes = {n: a for n, a in self.nodes.items() if n in keep}
        self.nodes["more"] = dict(STYLE["more"], label=(
            f"… {n_dropped} more nodes\n(max_nodes={max_nodes})"))
        self.edges = edges
        self.cluster_of = {n: c for n, c in self.cluster_of.items() if n in keep}
        return n_dropped

    def dot_source(self, direction: str, graph_attrs: Mapping[str, Any]) -> list[str]:
        """The body of the DOT graph, one statement a line. direction "backward" reverses
        every edge and draws the flow of gradients."""
        lines = [f"\tgraph{attrs_text(graph_attrs)}\n",
                 f"\tnode{attrs_text(dict(fontname=FONT, fontsize='10', margin='0.08,0.03'))}\n",
                 f"\tedge{attrs_text(dict(fontname=FONT, fontsize='9', arrowsize='0.6'))}\n"]
        members: dict[str, list[str]] = {}
        for n, c in self.cluster_of.items():
            members.setdefault(c, []).append(n)
        for cid, label in self.clusters.items():
            if not members.get(cid):
                continue
            lines.append(f"\tsubgraph {cid} {{\n")
            lines.append(f"\t\tgraph{attrs_text(dict(CLUSTER, label=label))}\n")
            lines += [f"\t\t{n}{attrs_text(self.nodes[n])}\n" for n in members[cid]]
            lines.append("\t}\n")
        lines += [f"\t{n}{attrs_text(a)}\n" for n, a in self.nodes.items()
                  if n not in self.cluster_of]
        looks: dict[str, dict[str, str]]
        if direction == "forward":
            looks = {"grad": EDGE_FORWARD, "nograd": EDGE_FORWARD_NO_GRAD, "more": EDGE_MORE}
        else:
            looks = {"grad": EDGE_GRAD, "nograd": EDGE_NO_GRAD, "more": EDGE_MORE}
        for s, d, kind in self.edges:
            look = looks[kind]
            if (s, d) in self.edge_labels:
                look = dict(look, label=self.edge_labels[(s, d)], fontcolor=EDGE_LABEL_COLOUR)
            if direction != "forward":  # the gradient flows against the data
                s, d = d, s
            lines.append(f"\t{s} -> {d}{attrs_text(look)}\n")
        return lines
