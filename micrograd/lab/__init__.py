"""The lab's experiments: the model families, naive mode against backprop, the demo.

families.py      the model families (chain, mlp, ladder, lab, scalar-mlp), each defined once,
                 in two forms (scalar-mlp: the mlp written in scalars, one form)
closed_forms.py  the partials each mode evaluates on each family, in closed form
compare.py       run backprop, naive and forward mode and finite differences on a family
                 under count_ops(): the rows
report.py        the rows as text (table, trend, report) and JSON
compare_plot.py  the rows as a figure (matplotlib)
graphs.py        a family's graph, counted and drawn (Graphviz)
demo.py          the lab's experiment: train the 2-10-2 network on two circles, write pictures
nan_run.py       the lab's nan run: its recipe reproduced, then fixed one change at a time
walkthrough.py   a 2-2-2 network by hand: every value and gradient, the numbers of docs/lab.md
"""
from .closed_forms import closed_form
from .compare import MODES, run_compare
from .families import FAMILIES, Model, build_model
from .report import format_table, to_json

__all__ = ["FAMILIES", "MODES", "Model", "build_model", "closed_form", "run_compare",
           "format_table", "to_json"]
