"""`micrograd graph`: draw a model family's graph to a file (the format from its extension)."""
from __future__ import annotations

import argparse
import sys

__all__ = ["add_graph_parser", "cmd_graph"]


def cmd_graph(args: argparse.Namespace) -> int:
    from ..errors import DrawError, GraphvizNotFoundError
    from ..lab.graphs import draw_model

    collapse = {None: False, "box": "box", "cluster": "cluster"}[args.collapse_modules]
    try:
        draw_model(args.model, sizes=args.sizes, depth=args.depth,
                           naive_counts=args.naive_counts, out=args.out, width=args.width,
                           direction=args.direction, show_values=args.show_values,
                           show_grads=args.show_grads, collapse_modules=collapse,
                           max_nodes=args.max_nodes, rankdir=args.rankdir,
                           legend=not args.no_legend, seed=args.seed)
    except GraphvizNotFoundError as e:
        print(f"micrograd graph: {e}", file=sys.stderr)
        print("micrograd graph: (a .dot output file needs no Graphviz: try --out graph.dot)",
              file=sys.stderr)
        return 1
    except DrawError as e:
        print(f"micrograd graph: {e}", file=sys.stderr)
        return 2
    what = "with naive-mode counts" if args.naive_counts else f"{args.direction} view"
    print(f"wrote {args.out}: the {args.model} graph, {what}")
    return 0


def add_graph_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "graph", help="draw a model's computation graph with Graphviz",
        description="Draw the graph backprop walks for a model family's loss, to --out "
                    "(.svg, .png, .pdf through Graphviz's dot; .dot for the DOT text). "
                    "mlp: the lab's MLP with softmax cross-entropy on random points; "
                    "chain: --depth layers of Linear(--width, --width) + tanh.")
    p.add_argument("--model", choices=["mlp", "chain"], default="mlp")
    p.add_argument("--sizes", default="2,10,2", help="mlp layer sizes, e.g. 2,10,2 (default)")
    p.add_argument("--depth", type=int, default=4, help="chain: number of layers (default 4)")
    p.add_argument("--width", type=int, default=3, help="chain: layer width (default 3)")
    p.add_argument("--out", required=True, metavar="FILE", help="output file: .svg .png .pdf .dot")
    p.add_argument("--naive-counts", action="store_true",
                   help="colour ops by how often naive mode evaluated their partials vs backprop")
    p.add_argument("--direction", choices=["forward", "backward"], default="forward",
                   help="forward: data flow (default); backward: gradient flow from the loss")
    p.add_argument("--show-values", action="store_true", help="summarise each tensor's data")
    p.add_argument("--show-grads", action="store_true",
                   help="run backward first and summarise each .grad")
    p.add_argument("--collapse-modules", nargs="?", const="box", choices=["box", "cluster"],
                   default=None, help="group each layer's ops: one box (default) or a cluster")
    p.add_argument("--max-nodes", type=int, default=None,
                   help="draw at most this many nodes, nearest the output")
    p.add_argument("--rankdir", choices=["auto", "LR", "TB"], default="auto",
                   help="layout direction (default auto: LR for short graphs, else TB)")
    p.add_argument("--no-legend", action="store_true", help="leave the legend out")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_graph)
