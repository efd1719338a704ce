"""Modules, losses and saved weights."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd as mg
from micrograd import Tensor, nn
from micrograd.data import DataError
from micrograd.nn import functional as F
from micrograd.ops import SoftmaxCrossEntropy as CrossEntropy

# ----------------------------------------------------------------- the fused linear op

@given(batch=st.sampled_from([(), (1,), (3,), (2, 3)]), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_linear_op_matches_x_at_w_t_plus_b_forward_backward_and_jvp(batch, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=batch + (n_in,)), requires_grad=True)
    W = Tensor(rng.normal(size=(n_out, n_in)), requires_grad=True)
    b = Tensor(rng.normal(size=(n_out,)), requires_grad=True)
    inputs = [x, W, b] if bias else [x, W]
    out = F.linear(*inputs)
    expected = x.data @ W.data.T + (b.data if bias else 0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda *t: F.linear(*t), inputs)
    # forward mode's product is the transpose of backward's: <g, J t> = <Jᵀ g, t>
    fn = out.grad_fn
    g = rng.normal(size=out.shape)
    for i, t_in in enumerate(inputs):
        t = rng.normal(size=t_in.shape)
        jt = np.broadcast_to(fn.jvp(t, i), out.shape)
        vjp = fn.backward(g, i)
        np.testing.assert_allclose(np.sum(g * jt), np.sum(vjp * t), rtol=1e-10, atol=1e-12)


def test_linear_op_refuses_inputs_of_the_wrong_width():
    with pytest.raises(mg.ShapeError, match=r"linear: inputs of shape \(4, 3\).*\(2, 5\)"):
        F.linear(Tensor(np.ones((4, 3))), Tensor(np.ones((2, 5)), requires_grad=True))


# ----------------------------------------------------------------- modules

def test_linear_shapes_init_bounds_and_formula():
    layer = nn.Linear(50, 7, seed=1, dtype=np.float64)  # the formula checked in float64
    assert layer.weight.shape == (7, 50) and layer.bias.shape == (7,)
    bound = 1 / np.sqrt(50)
    for p in (layer.weight, layer.bias):
        assert np.all(np.abs(p.data) <= bound)
        assert np.abs(p.data).max() > 0.8 * bound  # uniform on the whole interval, not a narrow one
    x = np.random.default_rng(0).normal(size=(4, 50))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data)
    no_bias = nn.Linear(3, 2, bias=False, seed=0)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_linear_seed_and_generator_are_reproducible():
    a, b = nn.Linear(4, 3, seed=5), nn.Linear(4, 3, seed=5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    c = nn.Linear(4, 3, generator=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, c.weight.data)
    assert not np.array_equal(a.weight.data, nn.Linear(4, 3, seed=6).weight.data)


def test_wrong_feature_count_names_both_numbers():
    layer = nn.Linear(2, 10, seed=0)
    with pytest.raises(mg.ShapeError, match=r"2 features.*\(5, 3\)"):
        layer(np.zeros((5, 3)))


def test_mlp_names_its_parameters_and_tensors():
    net = nn.MLP([2, 10, 2], seed=0)
    names = [n for n, _ in net.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert [p.name for p in net.parameters()] == names
    assert net.num_parameters() == 2 * 10 + 10 + 10 * 2 + 2
    assert isinstance(net.layers[1], nn.Tanh)


def test_submodules_are_found_in_attributes_and_lists():
    class Two(nn.Module):
        def __init__(self):
            self.encoder = nn.Linear(3, 4, seed=0)
            self.heads = [nn.Linear(4, 2, seed=1), nn.Linear(4, 1, seed=2)]
            self.scale = Tensor(np.ones(1), requires_grad=True)
            self.constant = Tensor(np.ones(1))  # not a parameter: no grad

        def forward(self, x):
            return self.heads[0](self.encoder(x).relu()) * self.scale

    m = Two()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "encoder.weight", "encoder.bias", "heads.0.weight", "heads.0.bias",
        "heads.1.weight", "heads.1.bias"]
    assert m(np.ones((2, 3), np.float32)).shape == (2, 2)
    seq = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=0))
    assert [p.name for p in seq.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU)


def test_activations_are_the_elementwise_functions():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x))
    np.testing.assert_allclose(nn.ReLU()(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x)))
    for name in ("relu", "sigmoid"):
        assert type(nn.MLP([2, 3, 2], activation=name, seed=0).layers[1]).__name__.lower() == name
    with pytest.raises(ValueError, match="swish"):
        nn.MLP([2, 3, 2], activation="swish")


def test_zero_grad_train_eval_and_call():
    net = nn.MLP([3, 4, 2], seed=0)
    F.cross_entropy(net(np.ones((2, 3), np.float32)), [0, 1]).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    assert "Linear(3 -> 4" in repr(net)


# ----------------------------------------------------------------- saving and loading

def test_state_dict_and_npz_round_trip(tmp_path):
    a, b = nn.MLP([2, 5, 3], seed=0), nn.MLP([2, 5, 3], seed=1)
    path = nn.save(a, tmp_path / "w")
    assert path == tmp_path / "w"  # exactly the path given (an .npz archive inside)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == sorted(n for n, _ in a.named_parameters())
    nn.load(b, path)
    x = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32)  # the models' dtype
    np.testing.assert_array_equal(a(x).data, b(x).data)
    state = a.state_dict()
    state["layers.0.bias"][:] = 99  # a copy: the model is untouched
    assert not np.any(a.layers[0].bias.data == 99)
    c = nn.MLP([2, 5, 3], seed=2)
    c.save(tmp_path / "c.npz")
    a.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(a.layers[2].weight.data, c.layers[2].weight.data)


def test_mismatched_file_lists_names_and_shapes(tmp_path):
    path = nn.save(nn.MLP([2, 5, 3], seed=0), tmp_path / "small.npz")
    with pytest.raises(nn.StateDictError) as e:
        nn.load(nn.MLP([2, 6, 3], seed=0), path)
    msg = str(e.value)
    assert "layers.0.weight" in msg and "(6, 2)" in msg and "(5, 2)" in msg
    path2 = nn.save(nn.MLP([2, 5, 5, 3], seed=0), tmp_path / "deep.npz")
    with pytest.raises(nn.StateDictError, match=r"not in the model: layers\.4\.weight, layers\.4\.bias"):
        nn.load(nn.MLP([2, 5, 3], seed=0), path2)
    with pytest.raises(nn.StateDictError, match="missing from the file: layers.4.weight"):
        nn.load(nn.MLP([2, 5, 5, 3], seed=0), path)


def test_load_refuses_pickled_arrays(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"layers.0.weight": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(nn.StateDictError, match="pickle"):
        nn.load(nn.MLP([2, 5, 3], seed=0), path)


# ----------------------------------------------------------------- cross-entropy

logits_and_labels = st.tuples(st.integers(1, 6), st.integers(2, 5), st.integers(0, 2**31 - 1))


@settings(max_examples=40, deadline=None)
@given(logits_and_labels, st.sampled_from([1.0, 10.0, 300.0]))
def test_cross_entropy_is_minus_log_softmax_at_the_label(case, scale):
    n, c, seed = case
    rng = np.random.default_rng(seed)
    z = scale * rng.normal(size=(n, c))
    y = rng.integers(0, c, size=n)
    expected = -F.log_softmax(Tensor(z), axis=1).data[np.arange(n), y]
    np.testing.assert_allclose(F.cross_entropy(Tensor(z), y, reduction="none").data, expected, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(Tensor(z), y).item(), expected.mean(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(Tensor(z), y, reduction="sum").item(), expected.sum(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(Tensor(z), np.eye(c)[y]).item(), expected.mean(), rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    rng = np.random.default_rng(3)
    z = Tensor(rng.normal(size=(5, 4)), requires_grad=True)
    y = np.array([0, 3, 1, 1, 2])
    F.cross_entropy(z, y).backward()
    p = np.exp(z.data) / np.exp(z.data).sum(1, keepdims=True)
    np.testing.assert_allclose(z.grad, (p - np.eye(4)[y]) / 5, rtol=1e-12)
    assert F.cross_entropy(z, y).grad_fn.name == "cross_entropy"  # one fused op


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("soft", [False, True])
def test_cross_entropy_passes_gradcheck(reduction, soft):
    rng = np.random.default_rng(0)
    z = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    targets = rng.dirichlet(np.ones(3), size=4) if soft else np.array([2, 0, 1, 2])
    assert mg.gradcheck(lambda z: F.cross_entropy(z, targets, reduction=reduction), [z])


def test_cross_entropy_jvp_is_the_transpose_of_its_vjp():
    rng = np.random.default_rng(1)
    for reduction in ("mean", "sum", "none"):
        fn = CrossEntropy()
        out = fn.forward(rng.normal(size=(3, 4)), targets=np.eye(4)[[0, 2, 3]], reduction=reduction)
        g, t = rng.normal(size=np.shape(out)), rng.normal(size=(3, 4))
        np.testing.assert_allclose(np.sum(fn.backward(g, 0) * t), np.sum(g * fn.jvp(t, 0)))


def test_cross_entropy_is_finite_for_huge_logits():
    z = Tensor(np.array([[1000.0, -1000.0], [0.0, 800.0]]), requires_grad=True)
    loss = F.cross_entropy(z, [1, 0])
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad).all()
    assert loss.item() == pytest.approx((2000 + 800) / 2)


@pytest.mark.parametrize("labels, pattern", [
    ([0, 2, 1], r"\[0, 2\).*label 2 is at index 1"),
    ([0, -1, 1], r"label -1 is at index 1"),
    ([0, 1], r"3 rows of logits but 2 labels"),
    ([0.5, 1, 0], r"whole numbers"),
])
def test_cross_entropy_bad_labels_name_the_values(labels, pattern):
    with pytest.raises(DataError, match=pattern):
        F.cross_entropy(Tensor(np.zeros((3, 2))), np.array(labels))


def test_mse_softmax_log_softmax_and_accuracy():
    pred = Tensor(np.array([[0.2, 0.8], [0.6, 0.4]]))
    labels = F.one_hot(np.array([1, 0]), 2)  # labels are not values: one-hot them first
    assert F.mse_loss(pred, labels).item() == pytest.approx((0.04 + 0.04 + 0.16 + 0.16) / 4)
    assert F.mse_loss(pred, np.array([[0.0, 1.0], [1.0, 0.0]]), reduction="sum").item() == pytest.approx(0.4)
    with pytest.raises(mg.ShapeError):
        F.mse_loss(pred, np.zeros(3))
    z = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(F.softmax(z, axis=1).data.sum(), 1.0)
    np.testing.assert_allclose(np.exp(F.log_softmax(z, axis=1).data), F.softmax(z, axis=1).data)
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0], [0.0, 1.0]])
    assert F.accuracy(logits, np.array([0, 1, 1, 1])) == 0.75
    assert F.accuracy(logits, np.eye(2)[[0, 1, 1, 1]]) == 0.75


def test_linear_layers_without_activation_collapse_to_one_linear_map():
    """Lab Q3: W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂), one affine map."""
    first = nn.Linear(2, 10, seed=0, dtype=np.float64)  # float64: the identity to 1e-7
    second = nn.Linear(10, 3, seed=1, dtype=np.float64)
    stack = nn.Sequential(first, second)
    W = second.weight.data @ first.weight.data
    b = second.weight.data @ first.bias.data + second.bias.data
    x = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_allclose(stack(x).data, x @ W.T + b)
