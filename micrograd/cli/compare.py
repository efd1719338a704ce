"""`micrograd compare`: the work of backprop, naive mode and forward mode on a family, counted."""
from __future__ import annotations

import argparse
import sys

from ..gradients.modes import DEFAULT_MAX_PARTIALS
from ..lab import compare as experiment
from ..lab import report
from .options import (
    CommandError,
    UsageError,
    add_form,
    add_model,
    add_seed,
    check_family_options,
    check_output_file,
    output_file,
    parse_depths,
    whole,
    write_file,
)

NAME = "compare"
HELP = "count the work of backprop, naive mode, forward mode and finite differences"
DESCRIPTION = """\
Differentiate one loss three ways at each depth of a model family, under count_ops(),
and print a table: the local partials each way evaluated (and their flops), naive and
forward mode's work as a multiple of backprop's, the wall time, and whether the
gradients agree with backprop's. A fourth column counts finite differences: two loss
evaluations per scalar parameter. Under the table: how the naive/backprop ratio grows,
backprop's cost in forward passes, and the closed forms the counts follow (derived in
docs/complexity.md).

Backprop evaluates one partial per graph edge; naive mode walks every path from the
loss to every parameter again; forward mode walks the edges above each parameter once
per scalar entry of it. A slow mode that would evaluate more than --max-partials is
skipped and reported, before it starts (finite differences: more forward ops). Exits 1
if any gradient disagrees."""
EXAMPLES = """\
examples:
  micrograd compare --model chain --depth 10
  micrograd compare --model chain --depth 1:16 --plot chain.png
  micrograd compare --model ladder --depth 1:20      naive mode gets exponential
  micrograd compare --model lab --form both          the lab's network, both forms
  micrograd compare --model scalar-mlp               the mlp in scalars: exponential
  micrograd compare --model mlp --depth 2:8:2 --json mlp.json"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model(p, default="chain", depth_type=parse_depths, depth_metavar="DEPTHS",
              depth_help="the depths: N, A:B (inclusive), A:B:STEP or A,B,C (default 1:16, "
                         "1:6 for scalar-mlp; lab has one hidden layer and takes no --depth)")
    add_form(p, both=True)
    p.add_argument("--max-partials", type=whole(1), default=DEFAULT_MAX_PARTIALS, metavar="N",
                   help=f"skip a slow mode that would evaluate more local partials than this "
                        f"(default {DEFAULT_MAX_PARTIALS:,})")
    p.add_argument("--plot", type=output_file(".png", ".pdf", ".svg"), metavar="FILE",
                   help="also draw the counts against depth into FILE (.png, .pdf or .svg; "
                        "needs matplotlib)")
    p.add_argument("--json", type=output_file(), metavar="FILE",
                   help="also write every number of the table into FILE as JSON")
    add_seed(p, "the weights and inputs")


def check(args: argparse.Namespace) -> None:
    """Options the family does not take, the output files, matplotlib for --plot."""
    check_family_options(args, ["depth", "width", "batch"])
    if args.plot and args.json and args.plot.absolute() == args.json.absolute():
        raise UsageError(f"--plot and --json both name {args.plot}; give two files")
    if args.json:
        check_output_file(args.json, "--json", "compare.json")
    if args.plot:
        check_output_file(args.plot, "--plot", "compare.png")
        from ..viz.plots import pyplot
        try:
            pyplot()
        except ImportError as e:
            raise CommandError(f"--plot: {e}") from None


def run(args: argparse.Namespace) -> int:
    forms = {"unfused": [False], "fused": [True], "both": [False, True]}[args.form]
    rows = []
    for k, fused in enumerate(forms):
        part = experiment.run_compare(args.model, args.depth, args.width, batch=args.batch,
                                      seed=args.seed, max_partials=args.max_partials,
                                      fused=fused)
        print(("\n" if k else "") + report.format_report(part))
        rows += part
    if args.json:
        print(f"wrote {write_file(args.json, report.to_json(rows))}")
    if args.plot:
        from ..lab.compare_plot import plot_compare
        print(f"wrote {plot_compare(rows, args.plot)}")
    disagree = [f"depth {r['depth']} {m}" for r in rows for m, ok in r["agree"].items()
                if ok is False]
    disagree += [f"depth {r['depth']} fd" for r in rows
                 if "fd" in r and r["fd"].get("agree") is False]
    if disagree:
        print(f"micrograd compare: error: gradients differ from backprop at {', '.join(disagree)} "
              f"(see the notes under the table)", file=sys.stderr)
        return 1
    return 0
