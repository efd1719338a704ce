"""micrograd.compile: a traced function run as generated numpy gives eager's values and
gradients, sees parameter updates, guards what it depends on, and refuses what it cannot
trace. (Random programs of every op: test_compile_ops.py; the CLI: test_compile_cli.py.)"""
from __future__ import annotations

import ast
import warnings

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, nn, optim
from micrograd.compile import CompiledFunction
from micrograd.errors import (
    AnomalyError,
    CompileError,
    GraphReleasedError,
    HigherOrderError,
    InplaceError,
)
from micrograd.lab.families import build_model
from micrograd.nn import functional as F

F64 = np.float64
WARM = 3  # a signature's generated code runs from its third call on


def warm(f, *args, **kwargs):
    """Call f until it runs its generated code; the result of that call."""
    for _ in range(WARM):
        out = f(*args, **kwargs)
    return out


def assert_close(a, b, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=1e-300)


FORMS = [("lab", False), ("lab", True), ("chain", False), ("chain", True), ("mlp", False),
         ("mlp", True), ("ladder", False), ("scalar-mlp", False)]


@pytest.mark.parametrize("family,fused", FORMS, ids=[f"{f}-{'fused' if u else 'unfused'}"
                                                     for f, u in FORMS])
def test_every_family_gives_eagers_loss_and_gradients(family, fused):
    m = build_model(family, fused=fused, depth=None if family == "lab" else 2)
    expected = m.loss()
    m.zero_grad()
    expected.backward()
    want = [p.grad.copy() for p in m.params]
    f = mg.compile(m.loss)
    for _ in range(WARM):
        m.zero_grad()
        out = f()
        out.backward()
    assert isinstance(out.grad_fn, CompiledFunction)
    assert_close(out.data, expected.data)
    for p, g in zip(m.params, want, strict=True):
        assert p.grad.dtype == g.dtype and p.grad.shape == g.shape
        assert_close(p.grad, g)


def test_the_first_two_calls_run_eagerly_and_the_third_runs_the_program():
    x = Tensor(np.arange(3.0), requires_grad=True)
    f = mg.compile(lambda x: (x * x).sum())
    kinds = [type(f(x).grad_fn).__name__ for _ in range(4)]
    assert kinds == ["Sum", "Sum", "CompiledFunction", "CompiledFunction"]
    assert f.traces == 1


# --------------------------------------------------------------------------- guards

def test_a_new_shape_dtype_or_requires_grad_traces_again():
    f = mg.compile(lambda x: (x.tanh() * 2).sum())
    for x in [Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(4), requires_grad=True),
              Tensor(np.ones(4, dtype=np.float32), requires_grad=True), Tensor(np.ones(4))]:
        out = warm(f, x)
        assert_close(out.data, (np.tanh(x.data) * 2).sum(), rtol=1e-6)
        if x.requires_grad:
            out.backward()
            assert_close(x.grad, 2 * (1 - np.tanh(x.data) ** 2), rtol=1e-6)
        else:
            assert out.grad_fn is None
    assert f.traces == 4


def test_retracing_again_and_again_warns_with_the_reason():
    f = mg.compile(lambda x: x.sum(), max_cache=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 5):
            f(Tensor(np.ones(n)))
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1
    assert "traced 3 times" in messages[0] and "argument 0" in messages[0]


def test_parameter_updates_between_calls_are_seen():
    model = nn.MLP([2, 5, 2], activation="tanh", seed=0, dtype=F64)
    twin = nn.MLP([2, 5, 2], activation="tanh", seed=0, dtype=F64)
    x = Tensor(np.random.default_rng(0).standard_normal((6, 2)))
    labels = np.array([0, 1, 1, 0, 1, 0])
    f = mg.compile(lambda x: F.cross_entropy(model(x), labels))
    opt, opt_twin = optim.SGD(model.parameters(), lr=0.5), optim.SGD(twin.parameters(), lr=0.5)
    for _ in range(6):
        opt.zero_grad()
        opt_twin.zero_grad()
        loss = f(x)
        loss.backward()
        loss_twin = F.cross_entropy(twin(x), labels)
        loss_twin.backward()
        assert_close(loss.data, loss_twin.data)
        opt.step()
        opt_twin.step()
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert_close(p.data, q.data)
    # A parameter given new values wholesale (t.data = ...) is read afresh too.
    w = model.layers[0].weight
    with mg.no_grad():
        w.data = np.zeros(w.shape)
    assert_close(f(x).data, F.cross_entropy(model(x), labels).data)


def test_a_captured_tensor_that_changes_shape_traces_again():
    W = Tensor(np.ones((2, 3)), requires_grad=True, name="W")
    x = Tensor(np.ones((4, 2)))
    f = mg.compile(lambda x: (x @ W).sum())
    assert_close(warm(f, x).data, 24.0)
    with mg.no_grad():
        W.data = np.ones((2, 5))
    out = f(x)
    assert out.shape == () and f.traces == 2
    assert_close(out.data, 40.0)


GLOBAL_W = Tensor(np.ones(2), requires_grad=True)


def test_a_tensor_replaced_by_another_object_traces_again():
    """Tensors reached by reference (a module's parameter, a global, an attribute of an
    argument) are read at every call; one replaced by another tensor is seen too."""
    x = Tensor(np.ones((1, 2)))
    layer = nn.Linear(2, 2, seed=0, dtype=F64)
    by_module = mg.compile(lambda x: layer(x).sum())
    by_global = mg.compile(lambda x: (x * GLOBAL_W).sum())

    class Holder:
        def __init__(self):
            self.w = Tensor(np.ones(2), requires_grad=True)

        @mg.compile
        def loss(self, x):
            return (self.w * x).sum()

    holder = Holder()
    for f in (by_module, by_global, holder.loss):
        warm(f, x)
    layer.weight = nn.Parameter(np.full((2, 2), 2.0))
    globals()["GLOBAL_W"] = Tensor(np.full(2, 3.0), requires_grad=True)
    holder.w = Tensor(np.full(2, 4.0), requires_grad=True)
    assert_close(by_module(x).data, layer(x).sum().data)
    assert_close(by_global(x).data, 6.0)
    assert_close(holder.loss(x).data, 8.0)


def test_a_module_compiled_as_a_whole():
    model = nn.MLP([2, 3, 2], activation="tanh", seed=0, dtype=F64)
    forward = mg.compile(model)
    x = Tensor(np.random.default_rng(3).standard_normal((4, 2)))
    out = warm(forward, x)
    assert_close(out.data, model(x).data)
    assert "def forward(x, layers_0_weight, layers_0_bias" in forward.source


def test_no_grad_calls_record_nothing_and_run_the_forward_alone():
    x = Tensor(np.linspace(-1, 1, 5), requires_grad=True)
    f = mg.compile(lambda x: (x.exp() * x).sum())
    with mg.no_grad():
        out = warm(f, x)
        with mg.count_ops() as counts:
            f(x)
    assert out.grad_fn is None and not out.requires_grad
    assert counts.partials == 0
    assert "def backward" not in f.source
    assert_close(out.data, (np.exp(x.data) * x.data).sum())
    assert f(x).requires_grad  # grad mode is part of the signature: traced again


def test_a_module_passed_as_an_argument_and_its_training_flag():
    layer = nn.Linear(3, 2, seed=1, dtype=F64)
    drop = nn.Dropout(0.5)
    x = Tensor(np.random.default_rng(1).standard_normal((4, 3)))
    f = mg.compile(lambda m, x: drop(m(x)).tanh().sum())
    drop.eval()
    out = warm(f, layer, x)
    out.backward()
    expected = layer(x).tanh().sum()
    grads = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    expected.backward()
    for p, g in zip(layer.parameters(), grads, strict=True):
        assert_close(g, p.grad)
    assert "weight" in f.source and "g_weight" in f.source
    drop.train()  # a different program (dropout draws masks): traced again, then refused
    f(layer, x)
    with pytest.raises(CompileError, match="random numbers"):
        f(layer, x)


def test_a_numpy_argument_is_a_constant_guarded_by_its_values():
    z = Tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    f = mg.compile(lambda z, labels: F.cross_entropy(z, labels))
    for labels in [np.array([0, 1, 3]), np.array([2, 2, 0]), np.array([0, 1, 3])]:
        z.grad = None
        warm(f, z, labels).backward()
        got = z.grad.copy()
        z.grad = None
        F.cross_entropy(z, labels).backward()
        assert_close(got, z.grad)


def test_one_tensor_passed_twice_is_not_taken_for_two():
    x, y = Tensor(np.ones(3), requires_grad=True), Tensor(np.full(3, 2.0), requires_grad=True)
    f = mg.compile(lambda a, b: (a * b).sum())
    warm(f, x, x).backward()
    assert_close(x.grad, 2 * x.data)
    out = warm(f, x, y)
    assert_close(out.data, 6.0)


def test_a_value_read_from_an_input_is_a_guard():
    x = Tensor(np.arange(4.0), requires_grad=True)
    f = mg.compile(lambda x, k: (x * int(k.item())).sum())
    for k in [2.0, 3.0, 2.0]:
        x.grad = None
        out = warm(f, x, Tensor(k))
        out.backward()
        assert_close(out.data, k * 6.0)
        assert_close(x.grad, np.full(4, k))


# --------------------------------------------------------------------------- refusals

def test_control_flow_on_a_computed_value_is_refused():
    f = mg.compile(lambda x: x.sum() if (x * 2).sum().item() > 0 else -x.sum())
    with pytest.raises(CompileError, match="reads the values of a tensor it computed"):
        f(Tensor(np.ones(3), requires_grad=True))


def test_a_mask_from_a_comparison_is_refused():
    f = mg.compile(lambda x: mg.where(x.tanh() > 0, x, 0.0 * x).sum())
    with pytest.raises(CompileError, match="comparisons"):
        f(Tensor(np.linspace(-1, 1, 4), requires_grad=True))


def test_random_constants_are_caught_on_the_second_call():
    rng = np.random.default_rng(0)
    f = mg.compile(lambda x: (x * Tensor(rng.random(3))).sum())
    x = Tensor(np.ones(3), requires_grad=True)
    f(x)
    with pytest.raises(CompileError, match="traced different programs"):
        f(x)


def test_in_place_changes_inside_the_function_are_refused():
    def f(x):
        h = x * 2
        h += 1
        return h.sum()
    with pytest.raises(CompileError, match="in place"):
        mg.compile(f)(Tensor(np.ones(3), requires_grad=True))


def test_backward_inside_the_function_is_refused():
    def f(x):
        loss = (x * x).sum()
        loss.backward()
        return loss
    with pytest.raises(CompileError, match="computes gradients itself"):
        mg.compile(f)(Tensor(np.ones(3), requires_grad=True))


def test_a_result_that_is_not_a_tensor_is_refused():
    with pytest.raises(CompileError, match="must return one tensor"):
        mg.compile(lambda x: (x.sum(), x.mean()))(Tensor(np.ones(3)))


def test_relus_mask_is_computed_on_every_call():
    """relu's tensor form builds its mask as a constant: a program must not freeze it."""
    x = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    f = mg.compile(lambda x: (x.relu() * 3).sum())
    warm(f, x)
    with mg.no_grad():
        x.data = np.array([-1.0, 1.0, 2.0])
    x.grad = None
    f(x).backward()
    assert_close(x.grad, [0.0, 3.0, 3.0])


def test_a_branch_on_saved_values_inside_a_partial_is_not_frozen():
    """norm's tensor form checks for zero rows with numpy, where no trace sees it: a
    program traced on nonzero rows must still give the subgradient 0 for a zero row."""
    x = Tensor(np.array([[3.0, 4.0], [1.0, 2.0]]), requires_grad=True)
    f = mg.compile(lambda x: x.norm(dim=1).sum())
    warm(f, x)
    with mg.no_grad():
        x.data = np.array([[3.0, 4.0], [0.0, 0.0]])
    x.grad = None
    f(x).backward()
    assert_close(x.grad, [[0.6, 0.8], [0.0, 0.0]])


def test_a_result_that_is_an_input_or_a_constant():
    x = Tensor(np.ones(2), requires_grad=True)
    same = mg.compile(lambda x: x)
    made = mg.compile(lambda x: Tensor(np.full(2, 3.0), name="three"))
    for _ in range(WARM):
        assert same(x) is x
        a, b = made(x), made(x)
        assert a is not b and a.name == "three"
        assert_close(a.data, [3.0, 3.0])


def test_a_cached_program_keeps_nothing_of_the_traced_calls():
    """The traced calls' results, and so their graphs and activations, are the caller's:
    once the caller lets go of them, nothing of the compiled function holds them."""
    import gc
    import weakref

    f = mg.compile(lambda x: (x.tanh() * x).sum())
    x = Tensor(np.ones((50, 50)), requires_grad=True)
    refs = []
    for _ in range(WARM):
        out = f(x)
        refs.append(weakref.ref(out.grad_fn))
        out.backward()
        del out
    gc.collect()
    assert [r() for r in refs] == [None] * WARM


# --------------------------------------------------------------------------- the node

def test_an_input_changed_in_place_before_backward_raises_as_eager():
    W = Tensor(np.ones((2, 2)), requires_grad=True, name="W")
    x = Tensor(np.ones((3, 2)), name="x")
    f = mg.compile(lambda x, W: (x @ W).tanh().sum())
    for changed in (W, x):
        out = warm(f, x, W)
        with mg.no_grad():
            changed += 1
        with pytest.raises(InplaceError, match="changed by an in-place operation"):
            out.backward()


def test_backward_twice_needs_retain_graph_as_eager():
    x = Tensor(np.arange(3.0), requires_grad=True)
    f = mg.compile(lambda x: (x * x).sum())
    out = warm(f, x)
    out.backward(retain_graph=True)
    out.backward()
    assert_close(x.grad, 4 * x.data)
    with pytest.raises(GraphReleasedError):
        out.backward()


def test_gradient_of_a_non_scalar_result_and_a_non_leaf_input():
    x = Tensor(np.arange(6.0).reshape(2, 3) / 6, requires_grad=True)
    f = mg.compile(lambda h: h.tanh() * h)
    seed = np.arange(6.0).reshape(2, 3) - 2
    for _ in range(WARM):
        x.grad = None
        h = x * 2  # made outside: its graph continues below the compiled node
        out = f(h)
        out.backward(seed)
    assert isinstance(out.grad_fn, CompiledFunction)
    got = x.grad.copy()
    x.grad = None
    h = x * 2
    (h.tanh() * h).backward(seed)
    assert_close(got, x.grad)


def test_create_graph_through_a_compiled_node_is_refused():
    x = Tensor(np.arange(3.0), requires_grad=True)
    out = warm(mg.compile(lambda x: (x * x).sum()), x)
    with pytest.raises(HigherOrderError, match="uncompiled"):
        mg.grad(out, x, create_graph=True)


def test_naive_mode_walks_the_node_and_forward_mode_is_refused():
    x = Tensor(np.arange(3.0), requires_grad=True)
    f = mg.compile(lambda x: (x * x).tanh().sum())
    warm(f, x).backward(mode="naive")
    assert_close(x.grad, 2 * x.data * (1 - np.tanh(x.data ** 2) ** 2))
    with pytest.raises(CompileError, match="mode='forward'"):
        f(x).backward(mode="forward")


def test_a_compiled_function_inside_another_is_traced_into_it():
    inner = mg.compile(lambda x: x.tanh() * 2)
    outer = mg.compile(lambda x: inner(x).sum())
    x = Tensor(np.linspace(-1, 1, 3), requires_grad=True)
    warm(outer, x).backward()
    assert_close(x.grad, 2 * (1 - np.tanh(x.data) ** 2))
    assert inner.traces == 0


def test_count_ops_sees_the_same_work_as_eager():
    m = build_model("lab")
    f = mg.compile(m.loss)
    warm(f)
    tallies = []
    for run in (m.loss, f):
        m.zero_grad()
        with mg.count_ops() as c:
            loss = run()
            loss.backward()
        tallies.append(c)
    assert isinstance(loss.grad_fn, CompiledFunction)
    counts = tallies[0]
    assert tallies[1].as_dict() == counts.as_dict()
    # Counting only the backward of a call made unobserved: the same partials.
    m.zero_grad()
    loss = f()
    with mg.count_ops() as c:
        loss.backward()
    assert (c.partials, c.flops) == (counts.partials, counts.flops)
    assert {k: v.partials for k, v in c.by_op.items() if v.partials} == \
        {k: v.partials for k, v in counts.by_op.items() if v.partials}


def test_detect_anomaly_names_the_op_in_a_compiled_program():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    f = mg.compile(lambda x: (x - 1.5).log().sum())
    with np.errstate(invalid="ignore"):
        with mg.detect_anomaly(), pytest.raises(AnomalyError, match="log"):
            f(x)  # traced: eager raises
        warm(f, x)
        with mg.detect_anomaly(), pytest.raises(AnomalyError, match="log: forward produced nan"):
            f(x)  # the generated program tells the checker of each op


# --------------------------------------------------------------------------- the source

def test_the_source_names_the_users_tensors_and_comments_every_backward_line():
    W1 = Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(3), requires_grad=True, name="b1")
    x = Tensor(np.ones((4, 2)))

    def loss(x):
        h = (x @ W1 + b1).tanh()
        h.name = "h"
        return (h * h).mean()

    source = mg.compile(loss).code(x)
    forward, backward = source.split("def backward")
    assert "def forward(x, W1, b1)" in forward and "h = np.tanh(" in forward
    assert "g_W1 = " in backward and "g_b1 = " in backward and "g_h" in backward
    body = [line for line in backward.splitlines()[1:] if line.strip()
            and not line.strip().startswith("return")]
    assert body and all("  # " in line for line in body)
    assert any("# ∂h/∂" in line for line in body)


def test_the_lab_source_parses_and_runs_on_its_own():
    m = build_model("lab")
    source = mg.compile(m.loss).code()
    ast.parse(source)
    assert "micrograd" not in source.replace("micrograd.compile", "")  # numpy only
    namespace: dict = {}
    exec(source, namespace)
    x = next(c.cell_contents for c in m.loss.__closure__ if isinstance(c.cell_contents, Tensor))
    loss, saved = namespace["forward"](x.data, *[p.data for p in m.params])
    grads = namespace["backward"](np.array(1.0), *saved)
    expected = m.loss()
    m.zero_grad()
    expected.backward()
    assert_close(loss, expected.data)
    # The backward returns g_<name> for each parameter, named after it (hidden1.W: hidden1_W).
    returned = source.rstrip().splitlines()[-1].split("return (")[1].rstrip(",)").split(", ")
    by_name = {"g_" + p.name.replace(".", "_"): p for p in m.params}
    assert sorted(returned) == sorted(by_name)
    for name, g in zip(returned, grads, strict=True):
        assert_close(g, by_name[name].grad)


def test_source_needs_a_call_and_code_traces_one():
    f = mg.compile(lambda x: x.exp().sum())
    with pytest.raises(CompileError, match="nothing traced yet"):
        f.source  # noqa: B018
    text = f.code(Tensor(np.ones(2), requires_grad=True))
    assert text == f.source and "np.exp(x)" in text


def test_float32_stays_float32():
    x = Tensor(np.linspace(-1, 1, 5, dtype=np.float32), requires_grad=True)
    f = mg.compile(lambda x: (x.sigmoid() * 0.5 + x * x).mean())
    out = warm(f, x)
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    expected = (x.sigmoid() * 0.5 + x * x).mean()
    got = x.grad.copy()
    x.grad = None
    expected.backward()
    assert_close(out.data, expected.data, rtol=1e-6)
    assert_close(got, x.grad, rtol=1e-6)
