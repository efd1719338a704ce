"""`micrograd graph`: draw a family member's computation graph to a file."""
from __future__ import annotations

import argparse
import shutil

from ..engine import Tensor
from ..errors import BudgetError
from ..gradients.modes import DEFAULT_MAX_PARTIALS
from ..lab import families, graphs
from ..viz.explore import MAX_NODES, explore
from .options import (
    CommandError,
    UsageError,
    add_one_member,
    add_seed,
    check_family_options,
    check_output_file,
    output_file,
    whole,
)

NAME = "graph"
HELP = "draw a model's computation graph (Graphviz), or a page that steps through it"
DESCRIPTION = """\
Draw the graph backprop walks for the loss of a model family member, into -o FILE:
.svg, .png or .pdf through Graphviz's `dot`, or .dot/.gv for the DOT text, which needs
no Graphviz. Each tensor is a box and each op an ellipse; with --naive-counts each op is
coloured by how many times naive mode evaluated its partials against backprop's once
per edge, the same counts `micrograd compare` prints for the same model.
With --html FILE, write a web page (one file, no server, no network) that steps
through the forward pass, then backprop and naive mode side by side, one local partial
at a time (docs/explore.md). Give -o, --html or both.
The families are those of `micrograd compare` (docs/complexity.md)."""
EXAMPLES = """\
examples:
  micrograd graph -o lab.svg                                 the lab's 2-10-2 network
  micrograd graph --model lab --fused -o lab-nn.svg          as micrograd.nn records it
  micrograd graph --model chain --depth 10 --naive-counts -o chain.png
  micrograd graph --model ladder --depth 4 --naive-counts -o ladder.svg
  micrograd graph --model scalar-mlp --depth 2 --naive-counts -o scalar.svg   in scalars
  micrograd graph --model mlp --sizes 2,8,8,2 --collapse-modules -o mlp.pdf
  micrograd graph --model lab --html lab.html                step through backprop
  micrograd graph --model chain --depth 3 --html chain.html"""

_PICTURES = (".svg", ".png", ".pdf")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--out", metavar="FILE", type=output_file(*_PICTURES, ".dot", ".gv"),
                   help="the picture to write: .svg, .png, .pdf (need Graphviz) or .dot, .gv "
                        "(the DOT text)")
    p.add_argument("--html", metavar="FILE", type=output_file(".html", ".htm"),
                   help="the page to write (needs Graphviz): step through the forward pass, "
                        "backprop and naive mode in a browser")
    add_one_member(p)
    p.add_argument("--naive-counts", action="store_true",
                   help="colour each op by naive mode's evaluations of its partials against "
                        "backprop's (both numbers in its label)")
    p.add_argument("--max-partials", type=whole(1), default=None, metavar="N",
                   help=f"with --naive-counts: refuse a graph on which naive mode would evaluate "
                        f"more local partials than this (default {DEFAULT_MAX_PARTIALS:,})")
    p.add_argument("--direction", choices=["forward", "backward"], default="forward",
                   help="forward: the data flows, inputs to loss (default); backward: the "
                        "gradient flows, loss to leaves")
    p.add_argument("--show-values", action="store_true",
                   help="add a summary of each tensor's values")
    p.add_argument("--show-grads", action="store_true",
                   help="run backward first and add a summary of each gradient")
    p.add_argument("--collapse-modules", nargs="?", const="box", choices=["box", "cluster"],
                   default=None,
                   help="group each layer's ops and parameters: into one box (the default "
                        "when given alone) or inside a labelled frame (cluster)")
    p.add_argument("--max-nodes", type=whole(2), default=None, metavar="N",
                   help="draw at most N nodes, those nearest the loss, and summarise the rest")
    p.add_argument("--rankdir", choices=["auto", "LR", "TB"], default="auto",
                   help="layout: LR left to right, TB top to bottom, auto LR for short graphs "
                        "(default auto)")
    p.add_argument("--no-legend", action="store_true", help="leave the legend out")
    add_seed(p, "the weights and inputs")


# The options that shape only the picture (-o), with their defaults.
_PICTURE_ONLY = {"naive_counts": False, "max_partials": None, "direction": "forward",
                 "show_values": False, "show_grads": False, "no_legend": False}


def check(args: argparse.Namespace) -> None:
    """Options the family does not take, the output files, Graphviz for a picture or page."""
    check_family_options(args, ["depth", "width", "batch", "sizes"])
    if args.sizes is not None and (args.depth is not None or args.width is not None):
        raise UsageError("--sizes gives every layer size: leave out --depth and --width")
    if args.out is None and args.html is None:
        raise UsageError("give -o FILE (a picture), --html FILE (a page that steps through "
                         "the walk), or both")
    if args.out is None:
        for name, default in _PICTURE_ONLY.items():
            if getattr(args, name) != default:
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"{flag} only applies to the -o picture: add -o FILE, or "
                                 f"leave it out (the --html page shows the values, the "
                                 f"gradients and both modes' counts as it steps)")
    if args.max_partials is not None and not args.naive_counts:
        raise UsageError("--max-partials only applies with --naive-counts")
    if args.html is not None:
        check_output_file(args.html, "--html", "graph.html")
        if shutil.which("dot") is None:
            raise CommandError(f"--html {args.html}: the page lays out the graph with "
                               f"Graphviz's `dot`, which is not on PATH; install Graphviz "
                               f"(apt-get install graphviz, brew install graphviz)")
    if args.out is None:
        return
    check_output_file(args.out, "--out", "graph.svg")
    if args.out.suffix.lower() in _PICTURES and shutil.which("dot") is None:
        raise CommandError(f"--out {args.out}: a {args.out.suffix} picture needs Graphviz's `dot`, "
                           f"which is not on PATH; install Graphviz (apt-get install graphviz, "
                           f"brew install graphviz) or write the DOT text: -o {args.out.stem}.dot")


def run(args: argparse.Namespace) -> int:
    member = families.build_model(args.model, args.depth, args.width, batch=args.batch,
                                  seed=args.seed, fused=args.form == "fused", sizes=args.sizes)
    if args.out is not None:
        _picture(args, member)
    if args.html is not None:
        _page(args, member)
    return 0


def _what(member: families.Model) -> str:
    what = f"the {member.family} graph ({member.form}"
    return what + (f", depth {member.depth})" if families.FAMILIES[member.family].takes("depth")
                   else ")")


def _page(args: argparse.Namespace, member: families.Model) -> None:
    """--html: the page that steps through the forward pass, backprop and naive mode."""
    def loss() -> Tensor:  # built inside explore, so that the forward pass is recorded
        out = member.loss()
        out.name = "loss"
        return out

    page = explore(loss, args.html, collapse_modules=args.collapse_modules is not None,
                   max_nodes=MAX_NODES if args.max_nodes is None else args.max_nodes,
                   rankdir=args.rankdir)
    walks = ", ".join(f"{'naive mode' if m['mode'] == 'naive' else m['mode']} "
                      f"{m['partials']:,} local partials" + (" (left out)" if m.get("refused")
                                                             else "")
                      for m in page.log["modes"])
    print(f"wrote {args.html}: a page stepping through {_what(member)}: "
          f"{len(page.log['forward'])} forward ops, then {walks}")
    for note in page.notes:
        print(f"  note: {note}")


def _picture(args: argparse.Namespace, member: families.Model) -> None:
    """-o: the picture, plain or with naive mode's counts."""
    limit = DEFAULT_MAX_PARTIALS if args.max_partials is None else args.max_partials
    try:
        drawn = graphs.draw_family(
            member, args.naive_counts, args.out, max_partials=limit, direction=args.direction,
            show_values=args.show_values, show_grads=args.show_grads,
            collapse_modules=args.collapse_modules or False, max_nodes=args.max_nodes,
            rankdir=args.rankdir, legend=not args.no_legend)
    except BudgetError as e:
        raise CommandError(f"--naive-counts: naive mode would evaluate {e.need:,} local partials "
                           f"on this graph, more than the limit of {e.limit:,}; use a smaller "
                           f"--depth, or --max-partials {e.need} if you will wait") from None
    what = _what(member)
    if drawn.naive is not None and drawn.backprop is not None:
        what += (f", with naive-mode counts: naive mode evaluated {drawn.naive.partials:,} "
                 f"local partials, backprop {drawn.backprop.partials:,}")
    else:
        what += f", {args.direction} view"
    print(f"wrote {args.out}: {what}")
