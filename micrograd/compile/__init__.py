"""micrograd.compile: trace a function once, run it as a straight numpy program you can read.

    step = micrograd.compile(loss_fn)      # or @micrograd.compile
    loss = step(x, y)                       # traced on the first calls of a signature
    loss.backward()                         # the generated backward fills .grad
    print(step.source)                      # the forward and backward, one line per op

signature.py  what a call is keyed on, and where it finds its tensors
trace.py      running the function once while recording its ops, forward and backward
templates.py  each op's forward as one line of numpy
codegen.py    from a trace to Python source: folding, dead code, names, common subexpressions
compiled.py   the wrapper: cache, guards, the observers
node.py       the node a compiled call records, and the tensor it returns
See docs/compile.md.
"""
from .compiled import Compiled, CompiledFunction, compile

__all__ = ["compile", "Compiled", "CompiledFunction"]
