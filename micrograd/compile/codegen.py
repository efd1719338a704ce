"""From a trace to Python source: one numpy line per op, forward then backward.

The passes, in order:
  folding       an op whose inputs are all constants is a constant (its traced value);
  simplifying   a reshape or expand to the same shape is its input; an expanded operand
                of an elementwise op that broadcasts anyway is left unexpanded (the
                gradient of a sum or mean is never copied out to the full shape);
  dead code     only the ops the output and the wanted gradients depend on are written:
                no partial for an input that does not require grad, no unused forward op;
  naming        inputs after the user's names (W1, layers_0_weight), gradients g_<name>,
                other values after their op (matmul1, tanh2);
  common subexpressions  a line that computes what an earlier line did (the same
                expression of the same names), in the forward or the backward, is not
                written again: the earlier value is reused.
The forward returns its output and the values the backward reads (its "saved" values:
nothing else is kept); the backward takes the output's gradient and those values and
returns one gradient per input that gets one. Every backward line is commented with the
partial it computes, ∂out/∂input.

With report=True every traced op is written, without the passes, and each forward op
and each local partial calls the observers (count_ops, detect_anomaly) as eager does.
"""
from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import ops
from .templates import HELPERS, Literals, class_text, forward_text, instance_text
from .trace import Op, Trace, Value

__all__ = ["Program", "generate"]

# Names the generated module uses for itself.
_RESERVED = {"np", "ops", "forward", "backward", "report",
             "constants", "len", "slice", "range", "print", "sum", "max", "min", "abs",
             "float", "int", "bool", "tuple", "list", "dict", "object", "type", *HELPERS}
_ELEMENTWISE_BINARY = (ops.Add, ops.Sub, ops.Mul, ops.Div)
_SMALL_CONSTANT = 100  # constants with up to this many entries are written into the source


@dataclass
class Program:
    """The generated code of one trace and what a call needs to run it."""
    source: str                              # the forward and backward, as text
    forward: Callable[..., Any]              # forward(*inputs) -> out, or (out, saved)
    backward: Callable[..., Any] | None      # backward(g, *saved) -> gradients
    inputs: list[Value]                      # what forward takes, in order
    grads_for: list[Value]                   # the input each returned gradient belongs to
    exclusive: list[bool] = field(default_factory=list)  # per gradient: no other name
    # of the program holds it (not returned twice, not an input or a saved value), so
    # a .grad may keep it as it is, unless it is a view of another array
    lines: int = 0                           # forward and backward lines written
    namespace: dict[str, Any] = field(default_factory=dict)


def generate(trace: Trace, report: bool = False) -> Program:
    return _Writer(trace, report).write()


# --------------------------------------------------------------------------- the writer

class _Writer:
    def __init__(self, trace: Trace, report: bool):
        self.trace = trace
        self.report = report
        self.alias: dict[Value, Value] = {}
        self.names: dict[Value, str] = {}
        self.taken: set[str] = set(_RESERVED)
        self.counters: dict[str, int] = {}
        self.constants: dict[str, Any] = {}   # name -> object, for the namespace
        self.constant_lines: list[str] = []
        self.constant_of: dict[int, str] = {}  # id(object) -> its name
        self.constant_by_content: dict[Any, str] = {}
        self.helpers: set[str] = set()
        self.classes: dict[str, type] = {}
        self.literal = Literals(self._name_constant)
        self.args: dict[Op, list[Value]] = {}
        self.folded: set[Op] = set()
        self.folded_values: set[Value] = set()

    # -- small tools --------------------------------------------------------------
    def r(self, v: Value) -> Value:
        while v in self.alias:
            v = self.alias[v]
        return v

    def fresh(self, base: str) -> str:
        base = _identifier(base)
        if base not in self.taken:
            self.taken.add(base)
            return base
        k = self.counters.get(base, 1)
        while f"{base}_{k}" in self.taken:
            k += 1
        self.counters[base] = k + 1
        name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def numbered(self, base: str) -> str:
        """matmul1, matmul2, ...: the k-th value made by an op of that name."""
        k = self.counters.get("#" + base, 0) + 1
        while f"{base}{k}" in self.taken:
            k += 1
        self.counters["#" + base] = k
        name = f"{base}{k}"
        self.taken.add(name)
        return name

    def _name_constant(self, obj: Any, hint: str) -> str:
        if id(obj) in self.constant_of:
            return self.constant_of[id(obj)]
        key = _content(obj)  # one name for equal constants (a getitem's index and its
        if key is not None and key in self.constant_by_content:  # gradient's scatter)
            name = self.constant_of[id(obj)] = self.constant_by_content[key]
            return name
        name = self.numbered(_identifier(hint))
        self.constant_of[id(obj)] = name
        if key is not None:
            self.constant_by_content[key] = name
        self.constants[name] = obj
        self.constant_lines.append(_constant_line(name, obj))
        return name

    def is_const(self, v: Value) -> bool:
        return v.kind == "const" or v in self.folded_values

    def ref(self, v: Value, other: Value | None = None) -> str:
        """How a line names the value v (an operand of an op whose other operand is other)."""
        v = self.r(v)
        if self.is_const(v):
            return self._constant_text(v, other)
        return self.names[v]

    def _constant_text(self, v: Value, other: Value | None) -> str:
        a = v.array
        # A 0-d constant of the other operand's dtype reads as a plain number: numpy
        # gives the same dtype either way (a Python number adapts to the array's dtype).
        if a.ndim == 0 and other is not None and other.dtype == a.dtype and \
                a.dtype.kind in "fi":
            return _number(a)
        if id(v) in self.constant_of:
            return self.constant_of[id(v)]
        name = self._name_constant(a, "c")
        self.constant_of[id(v)] = name
        return name

    # -- the passes ---------------------------------------------------------------
    def write(self) -> Program:
        t = self.trace
        all_ops = t.forward + t.backward
        if self.report:
            for op in all_ops:
                self.args[op] = list(op.args)
            needed = list(all_ops)
        else:
            self._fold_and_simplify(all_ops)
            needed = self._live(all_ops)
        self._name(needed)
        return self._emit(needed)

    def _fold_and_simplify(self, all_ops: list[Op]) -> None:
        for op in all_ops:
            args = [self.r(a) for a in op.args]
            self.args[op] = args
            if op.cls is None or op.instance:
                continue
            if all(self.is_const(a) for a in args):
                self.folded.add(op)  # its traced value is its value on every call
                self.folded_values.add(op.out)
                continue
            same = args[0].shape == op.out.shape and args[0].dtype == op.out.dtype
            if op.cls in (ops.Reshape, ops.Expand) and same:
                self.alias[op.out] = args[0]
            elif op.cls is ops.Transpose and same and op.opts.axes is not None and \
                    tuple(op.opts.axes) == tuple(range(len(op.opts.axes))):
                self.alias[op.out] = args[0]
            elif op.cls in _ELEMENTWISE_BINARY and len(args) == 2:
                self.args[op] = [self._unexpanded(a, b, op) for a, b in ((args[0], args[1]),
                                                                         (args[1], args[0]))]

    def _unexpanded(self, a: Value, other: Value, op: Op) -> Value:
        """a's unexpanded source when a is an expand that the other operand's broadcasting
        makes anyway (its values are the same: numpy broadcasts the source)."""
        if a.kind == "op" and a.op is not None and a.op.cls is ops.Expand and \
                other.shape == op.out.shape == a.shape and a.dtype == op.out.dtype:
            source = self.r(self.args.get(a.op, a.op.args)[0])
            # A reshape that only put 1s in front broadcasts the same without them.
            if source.kind == "op" and source.op is not None and source.op.cls is ops.Reshape:
                inner = self.r(self.args.get(source.op, source.op.args)[0])
                lead = len(source.shape) - len(inner.shape)
                if lead >= 0 and (1,) * lead + inner.shape == source.shape:
                    return inner
            return source
        return a

    def _live(self, all_ops: list[Op]) -> list[Op]:
        t = self.trace
        live = {self.r(t.output)} | {self.r(g) for _, g in t.grads}
        needed: set[Op] = set()
        for op in reversed(all_ops):
            if op in needed or (self.r(op.out) is op.out and op.out in live
                                and op not in self.folded):
                needed.add(op)
                live.update(self.args[op])
                if op.vjp is not None:
                    needed.add(op.vjp[0])
        return [op for op in all_ops if op in needed]

    def _name(self, needed: list[Op]) -> None:
        t = self.trace
        for v in t.inputs:
            self.names[v] = self.fresh(v.hint or "x")
        out = self.r(t.output)
        if out.kind == "op" and out not in self.names:
            user = _user_name(out)
            self.names[out] = self.fresh(user or ("loss" if out.shape == () else "out"))
        forward = set(t.forward)
        for op in needed:  # forward values: the user's name (h), else matmul1, tanh2, ...
            if op in forward:
                self._name_value(op, lambda v: None)
        if t.seed is not None:
            self.names[t.seed] = self.fresh("g_" + self.names.get(out, "out"))
        for v, g in t.grad_names:  # the complete gradient of each value: g_<its name>
            g, v = self.r(g), self.r(v)
            if g not in self.names and g.kind == "op" and v in self.names:
                self.names[g] = self.fresh("g_" + self.names[v])

        def share(v: Value) -> str | None:  # a share of a gradient: g_<name>_1, g_<name>_2
            src = t.contributions.get(v)
            base = self.names.get(self.r(src)) if src is not None else None
            return self.fresh(f"g_{base}") if base else None
        for op in needed:
            if op not in forward:
                self._name_value(op, share)

    def _name_value(self, op: Op, special: Callable[[Value], str | None]) -> None:
        v = op.out
        if v in self.names or self.r(v) is not v or op in self.folded:
            return
        name = _user_name(v) and self.fresh(_user_name(v)) or special(v)
        self.names[v] = name or self.numbered(op.cls.name if op.cls is not None else "vjp")

    # -- writing ----------------------------------------------------------------
    def _emit(self, needed: list[Op]) -> Program:
        t = self.trace
        forward_set = set(t.forward)
        position = {id(op): k for k, op in enumerate(t.forward + t.backward)}
        reports: dict[int, list[int]] = {}  # after how many ops -> the partials done by then
        if self.report:
            for j, rep in enumerate(t.reported):
                reports.setdefault(max(rep.after, len(t.forward)), []).append(j)
        seen_text: dict[str, Value] = {}
        fwd_lines: list[tuple[str, str]] = []
        bwd_lines: list[tuple[str, str]] = []
        instances: dict[Op, str] = {}
        forward_values: set[Value] = set(t.inputs)
        forward_index = {id(op): k for k, op in enumerate(t.forward)}
        last_forward = t.forward[-1] if t.forward else None
        for op in needed:
            in_forward = op in forward_set
            lines = fwd_lines if in_forward else bwd_lines
            out = op.out
            if op in self.folded or (self.r(out) is not out):
                continue
            args = self.args[op]
            text = self._text(op, args, instances, lines)
            if not self.report and not op.instance and text in seen_text:
                self.alias[out] = seen_text[text]  # computed already: reuse it
                continue
            seen_text[text] = out
            if in_forward:
                forward_values.add(out)
            lines.append((f"{self.names[out]} = {text}", self._comment(op)))
            if self.report and in_forward:
                arg_names = ", ".join(self.ref(a) for a in args) + ("," if len(args) == 1 else "")
                lines.append((f"report.forward({forward_index[id(op)]}, {self.names[out]}, "
                              f"({arg_names}))", ""))
            if self.report:  # the partials done by now, as eager tells the observers
                if op is last_forward:
                    bwd_lines += self._reports(reports.get(len(t.forward), []))
                elif not in_forward:
                    bwd_lines += self._reports(reports.get(position[id(op)] + 1, []))
        return self._assemble(fwd_lines, bwd_lines, forward_values, instances)

    def _reports(self, js: list[int]) -> list[tuple[str, str]]:
        lines = []
        for j in js:
            rep = self.trace.reported[j]
            lines.append((f"report.partial({j}, {self.ref(rep.g)}, {self.ref(rep.pg)})", ""))
        return lines

    def _text(self, op: Op, args: list[Value], instances: dict[Op, str],
              lines: list[tuple[str, str]]) -> str:
        """The right-hand side of op's line (an instance line first, when one is kept)."""
        if op.vjp is not None:
            fwd, i = op.vjp
            owner = instances[fwd]
            g = self.ref(args[0])
            if fwd.cls is not None and fwd.cls.elementwise:
                return f"{g} * {owner}.partial({i})"
            return f"{owner}.backward({g}, {i})"
        texts = [self.ref(a, args[1 - k] if len(args) == 2 else None)
                 for k, a in enumerate(args)]
        text = None if op.instance else forward_text(op, texts, self.literal, self.helpers)
        if text is not None:
            return text
        texts = [self.ref(a) for a in args]  # an op's own forward takes arrays, not numbers
        owner = f"{self._class(op)}()"
        if op.instance:
            owner = self.fresh(f"{self.names[op.out]}_op")
            instances[op] = owner
            lines.append((f"{owner} = {self._class(op)}()",
                          "keeps what its forward saves, for its backward"))
        return instance_text(op, texts, self.literal, owner)

    def _assemble(self, fwd_lines: list[tuple[str, str]], bwd_lines: list[tuple[str, str]],
                  forward_values: set[Value], instances: dict[Op, str]) -> Program:
        t = self.trace
        # What the backward reads from the forward: its saved values, nothing else.
        saved: list[str] = []
        names_forward = {self.names[v] for v in forward_values if v in self.names}
        names_forward |= set(instances.values())
        for code, _ in bwd_lines:
            for word in _words(code):
                if word in names_forward and word not in saved:
                    saved.append(word)
        output = self.r(t.output)
        out_text = self.ref(output)
        grads_for = [v for v in t.parents if v.requires_grad]
        grad_of = {id(v): g for v, g in t.grads}
        returns: list[str] = []
        returned: list[Value] = []
        for v in grads_for:
            g = self.r(grad_of[id(v)])
            returned.append(g)
            name = self.ref(g)
            if g.shape == () and not self.is_const(g):  # a 0-d result may be a numpy scalar
                name = f"np.asarray({name})"
            want = "g_" + self.names[v]
            if name != want and want not in self.taken:
                self.taken.add(want)
                bwd_lines.append((f"{want} = {name}", f"the gradient of {self.names[v]}"))
                name = want
            returns.append(name)
            if name in names_forward and name not in saved:
                saved.append(name)
        exclusive = [sum(h is g for h in returned) == 1 and g not in forward_values
                     and not self.is_const(g) for g in returned]
        source = self._source(t.inputs, fwd_lines, bwd_lines, out_text, saved, returns)
        namespace: dict[str, Any] = {"np": np, "ops": ops, "constants": self.constants,
                                     **self.classes}
        exec(compile(source, "<micrograd.compile>", "exec"), namespace)  # noqa: S102
        has_backward = t.seed is not None
        return Program(source, namespace["forward"], namespace["backward"] if has_backward
                       else None, list(t.inputs), grads_for, exclusive,
                       sum(1 for code, _ in fwd_lines + bwd_lines
                           if not code.startswith("report.")), namespace)

    def _class(self, op: Op) -> str:
        assert op.cls is not None
        text = class_text(op.cls)
        if not text.startswith("ops."):
            self.classes[text] = op.cls
        return text

    def _comment(self, op: Op) -> str:
        p = op.partial
        if p is None:
            return ""
        out = self.names.get(self.r(p.op.out), "?")
        arg = p.op.args[p.i]
        arg_name = self.names.get(self.r(arg)) or _user_name(arg) or f"input {p.i}"
        if p.step == "partial":
            return f"∂{out}/∂{arg_name}" + (", the op's own backward" if op.vjp else "")
        if p.step == "unbroadcast":
            return f"∂{out}/∂{arg_name}, summed to {arg_name}'s shape {arg.shape}"
        return f"g_{arg_name}, adding the share from {out}"

    def _source(self, inputs: list[Value], fwd: list[tuple[str, str]],
                bwd: list[tuple[str, str]], out: str, saved: list[str],
                returns: list[str]) -> str:
        t = self.trace
        header = ["# Generated by micrograd.compile: forward(inputs) -> output and the values "
                  "the backward reads;",
                  "# backward(gradient of the output, those values) -> the inputs' gradients.",
                  "import numpy as np"]
        if any("ops." in code for code, _ in fwd + bwd):
            header.append("from micrograd import ops")
        parts = ["\n".join(header)]
        if self.constant_lines:
            parts.append("\n".join(self.constant_lines))
        for h in sorted(self.helpers):
            parts.append(HELPERS[h])
        params = ", ".join([*(self.names[v] for v in inputs), *(["report"] if self.report else [])])
        body = _block(fwd)
        if t.seed is not None:
            keep = ", ".join(saved) + ("," if len(saved) == 1 else "")
            body.append(f"    return {out}, ({keep})")
        else:
            body.append(f"    return {out}")
        parts.append(f"def forward({params}):\n" + "\n".join(body))
        if t.seed is not None:
            g = self.names[t.seed]
            bparams = ", ".join([g, *saved, *(["report"] if self.report else [])])
            body = _block(bwd)
            rets = ", ".join(returns) + ("," if len(returns) == 1 else "")
            body.append(f"    return ({rets})" if returns else "    return ()")
            parts.append(f"def backward({bparams}):\n" + "\n".join(body))
        return "\n\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------- helpers

def _block(lines: list[tuple[str, str]]) -> list[str]:
    """Indented lines, their comments lined up in one column."""
    width = max((len(code) for code, comment in lines if comment), default=0)
    width = min(width, 60)
    out = []
    for code, comment in lines:
        text = f"    {code}"
        if comment:
            text = f"{text.ljust(width + 4)}  # {comment}"
        out.append(text)
    return out


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words(code: str) -> list[str]:
    return _WORD.findall(code)


def _identifier(text: str) -> str:
    """text as a Python name: layers.0.weight -> layers_0_weight, 0.weight -> _0_weight."""
    name = re.sub(r"\W", "_", text).strip("_") or "x"
    if name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def _user_name(v: Value) -> str:
    return v.hint


def _number(a: np.ndarray) -> str:
    """A 0-d array as the shortest Python number that gives back the same value."""
    value = a.item()
    if isinstance(value, float):
        short = np.format_float_positional(a.dtype.type(value), unique=True, trim="-")
        if "nan" in short or "inf" in short:
            return f"float({short!r})"
        if np.array(float(short), dtype=a.dtype) == a:
            return short if any(c in short for c in ".e") or "inf" in short else short + ".0"
        return repr(value)
    return repr(value)


def _content(obj: Any) -> Any:
    """A key equal for equal arrays (and tuples of them), None for anything else."""
    if isinstance(obj, np.ndarray):
        return ("array", obj.shape, obj.dtype.str, obj.tobytes())
    if isinstance(obj, tuple) and obj and all(isinstance(k, np.ndarray) for k in obj):
        return tuple(_content(k) for k in obj)
    return None


def _constant_line(name: str, obj: Any) -> str:
    """The constant's definition in the generated module: its values when small."""
    if isinstance(obj, np.ndarray) and obj.size <= _SMALL_CONSTANT and obj.dtype.kind in "biuf":
        return f"{name} = np.array({obj.tolist()!r}, dtype=np.{obj.dtype.name})"
    if isinstance(obj, tuple) and all(isinstance(k, np.ndarray) and k.size <= _SMALL_CONSTANT
                                      for k in obj):
        items = ", ".join(f"np.array({k.tolist()!r}, dtype=np.{k.dtype.name})" for k in obj)
        return f"{name} = ({items}{',' if len(obj) == 1 else ''})"
    if isinstance(obj, np.ndarray):
        return f"{name} = constants[{name!r}]  # {obj.dtype} {obj.shape}"
    return f"{name} = constants[{name!r}]  # {type(obj).__name__}"
