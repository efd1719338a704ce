"""The losses of micrograd.nn.functional against PyTorch's (values, shapes, dtypes and
gradients: nll_loss batched and unbatched with weights and ignore_index, the binary
cross-entropies with list weights), and their errors, which start with the loss's name and
say what is wrong and how to fix it."""
from __future__ import annotations

import numpy as np
import pytest

from micrograd import ArgumentError, Tensor
from micrograd.errors import DataError, ShapeError
from micrograd.nn import functional as F


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed; the cross-check against it is skipped")


def log_probs(shape, dtype, seed=0):
    z = np.random.default_rng(seed).normal(size=shape)
    z = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return z.astype(dtype)


def ours_and_theirs(torch, x, target, reduction, **kw):
    """nll_loss's value and input gradient from micrograd and from PyTorch."""
    xt = Tensor(x, requires_grad=True)
    out = F.nll_loss(xt, target, reduction=reduction, **kw)
    out.sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tkw = {k: torch.tensor(v.astype(x.dtype)) if k == "weight" else v for k, v in kw.items()}
    ref = torch.nn.functional.nll_loss(tx, torch.tensor(np.asarray(target)), reduction=reduction,
                                       **tkw)
    ref.sum().backward()
    return out, xt.grad, ref.detach().numpy(), tx.grad.numpy()


NLL_OPTIONS = [
    {},
    {"weight": np.array([0.5, 2.0, 1.5, 0.25])},
    {"ignore_index": 2},
    {"weight": np.array([0.5, 2.0, 1.5, 0.25]), "ignore_index": 0},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", NLL_OPTIONS, ids=["plain", "weight", "ignore", "both"])
@pytest.mark.parametrize("label", [2, 0])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_unbatched_nll_loss_matches_pytorch(torch, dtype, reduction, options, label):
    x = log_probs((4,), dtype)
    out, grad, ref, ref_grad = ours_and_theirs(torch, x, np.array(label), reduction, **options)
    assert out.shape == ref.shape == ()
    assert out.dtype == dtype and grad.dtype == dtype
    np.testing.assert_allclose(out.data, ref, rtol=1e-6, equal_nan=True)
    # An ignored sample's mean is 0/0 = nan, but its gradient is 0, as in PyTorch.
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-6, equal_nan=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", NLL_OPTIONS, ids=["plain", "weight", "ignore", "both"])
def test_batched_nll_loss_matches_pytorch(torch, dtype, reduction, options):
    x = log_probs((5, 4), dtype, seed=1)
    target = np.array([2, 0, 3, 2, 1])
    out, grad, ref, ref_grad = ours_and_theirs(torch, x, target, reduction, **options)
    assert out.shape == ref.shape
    assert out.dtype == dtype and grad.dtype == dtype
    np.testing.assert_allclose(out.data, ref, rtol=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5)


def test_nll_loss_takes_labels_as_a_list_or_a_tensor():
    x = log_probs((3, 4), np.float64)
    expected = -(x[0, 1] + x[1, 3] + x[2, 0]) / 3
    assert F.nll_loss(x, [1, 3, 0]).item() == pytest.approx(expected)
    assert F.nll_loss(x, Tensor(np.array([1, 3, 0]))).item() == pytest.approx(expected)


def test_nll_loss_with_one_class_ignores_rows_by_index():
    x = np.array([[-0.5], [-2.0], [-1.0]])
    out = F.nll_loss(x, np.array([0, -100, 0]), reduction="none")
    np.testing.assert_allclose(out.data, [0.5, 0.0, 1.0])
    assert F.nll_loss(x, np.array([0, -100, 0])).item() == pytest.approx(0.75)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.nll_loss(x, [0, 1], reduction="avg"), ArgumentError,
     r"^nll_loss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"),
    (lambda x: F.nll_loss(x, Tensor(np.array([0.0, 1.0]), requires_grad=True)), ArgumentError,
     r"^nll_loss: the target requires grad, .*pass target\.detach\(\)"),
    (lambda x: F.nll_loss(x.reshape(1, 2, 3), [0]), ShapeError,
     r"^nll_loss: input must be \(n, classes\) log-probabilities, got shape \(1, 2, 3\)"),
    (lambda x: F.nll_loss(x, [[0], [1]]), DataError,
     r"^nll_loss: 2 rows of input but labels of shape \(2, 1\); pass one class index per row"),
    (lambda x: F.nll_loss(x, [0, 1, 2]), DataError,
     r"^nll_loss: 2 rows of input but labels of shape \(3,\); pass one class index per row"),
    (lambda x: F.nll_loss(x, [0, 3]), DataError,
     r"^nll_loss: labels must be in \[0, 3\) for 3 classes, but label 3 is at index 1"),
    (lambda x: F.nll_loss(x, [0, 1], np.ones(2)), ShapeError,
     r"^nll_loss: weight must have one entry per class \(3\), got shape \(2,\)"),
], ids=["reduction", "target-grad", "3d-input", "2d-labels", "label-count", "label-range",
        "weight-shape"])
def test_nll_loss_errors_name_the_op_the_fault_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(log_probs((2, 3), np.float64)))


def test_cross_entropy_soft_target_rows_must_fit_and_be_finite():
    z = np.zeros((2, 3))
    with pytest.raises(DataError, match=r"^cross_entropy: target rows have shape \(2, 4\), "
                                        r"the logits \(2, 3\)"):
        F.cross_entropy(z, np.full((2, 4), 0.25))
    soft = np.full((2, 3), 1 / 3)
    soft[1, 2] = np.nan
    with pytest.raises(DataError, match=r"^cross_entropy: targets must be finite, but entry "
                                        r"\(1, 2\) is nan"):
        F.cross_entropy(z, soft)


# ----------------------------------------------------------------- elementwise losses

@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss], ids=["mse", "l1"])
def test_elementwise_losses_name_themselves_in_their_errors(loss):
    name = loss.__name__
    x = np.zeros((2, 2))
    with pytest.raises(ArgumentError, match=rf"^{name}: reduction must be one of .*got 'avg'"):
        loss(x, x, reduction="avg")
    with pytest.raises(ShapeError, match=rf"^{name}: predictions have shape \(2, 2\) but targets "
                                         r"\(4,\); they must match exactly \(reshape the targets, "
                                         r"or one_hot\(\) class labels\)"):
        loss(x, np.zeros(4))
    bad = np.zeros((2, 2))
    bad[1, 0] = np.inf
    with pytest.raises(DataError, match=rf"^{name}: targets must be finite, but entry \(1, 0\) "
                                        r"is inf .*clean or rescale the targets"):
        loss(x, bad)


def test_integer_tensor_predictions_meet_targets_as_floats():
    pred = Tensor(np.array([1, 2, 3]))
    assert F.mse_loss(pred, [1.5, 2.0, 2.5]).item() == pytest.approx(0.5 / 3)
    assert F.l1_loss(pred, [1.5, 2.0, 2.5]).item() == pytest.approx(1 / 3)


BCE = [(F.binary_cross_entropy, np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.4]])),
       (F.binary_cross_entropy_with_logits, np.array([[-1.0, 2.0, 0.0], [0.5, -3.0, 1.0]]))]


@pytest.mark.parametrize("loss, x", BCE, ids=["bce", "bce_with_logits"])
def test_binary_cross_entropies_name_themselves_in_their_errors(loss, x):
    name = loss.__name__
    y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    with pytest.raises(ArgumentError, match=rf"^{name}: reduction must be one of .*got 'avg'"):
        loss(x, y, reduction="avg")
    with pytest.raises(ShapeError, match=rf"^{name}: predictions have shape \(2, 3\) but "
                                         r"targets \(3,\)"):
        loss(x, y[0])
    with pytest.raises(ShapeError, match=rf"^{name}: weight of shape \(2,\) does not broadcast "
                                         r"to the input's shape \(2, 3\)"):
        loss(x, y, np.ones(2))
    with pytest.raises(ArgumentError, match=rf"^{name}: weight requires grad, but the loss is "
                                            r"not differentiated .*pass weight\.detach\(\)"):
        loss(x, y, Tensor(np.ones(3), requires_grad=True))
    with pytest.raises(DataError, match=rf"^{name}: weight: targets must be finite, but entry "
                                        r"\(1,\) is nan"):
        loss(x, y, np.array([1.0, np.nan, 1.0]))


def test_pos_weight_that_does_not_broadcast_is_named():
    x = np.zeros((2, 3))
    with pytest.raises(ShapeError, match=r"^binary_cross_entropy_with_logits: pos_weight of "
                                         r"shape \(2,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=np.ones(2))


@pytest.mark.parametrize("p", [1.5, 1.0000001, -0.25, np.nan])
def test_binary_cross_entropy_refuses_inputs_outside_0_1_at_their_entry(p):
    x = np.array([[0.5, 0.5], [0.25, p]])
    with pytest.raises(DataError, match=r"^binary_cross_entropy: all elements of the input "
                                        r"should be between 0 and 1 \(probabilities\), but entry "
                                        r"\(1, 1\) is .*; apply sigmoid first, or use "
                                        r"binary_cross_entropy_with_logits$"):
        F.binary_cross_entropy(x, np.zeros((2, 2)))


@pytest.mark.parametrize("loss, x", BCE, ids=["bce", "bce_with_logits"])
def test_binary_cross_entropy_weights_given_as_lists_match_pytorch(torch, loss, x):
    y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    w = [0.5, 2.0, 1.0]
    ref = getattr(torch.nn.functional, loss.__name__)(torch.tensor(x), torch.tensor(y),
                                                      torch.tensor(w))
    assert loss(x, y, w).item() == pytest.approx(ref.item(), rel=1e-6)


# ----------------------------------------------------------------- cross_entropy

def cross_entropy_pair(torch, z, target, reduction, **kw):
    """cross_entropy's value and logit gradient from micrograd and from PyTorch."""
    zt = Tensor(z, requires_grad=True)
    out = F.cross_entropy(zt, target, reduction=reduction, **kw)
    out.sum().backward()
    tz = torch.tensor(z, requires_grad=True)
    tkw = {k: torch.tensor(np.asarray(v, dtype=z.dtype)) if k == "weight" else v
           for k, v in kw.items()}
    ref = torch.nn.functional.cross_entropy(tz, torch.tensor(np.asarray(target)),
                                            reduction=reduction, **tkw)
    ref.sum().backward()
    return out, zt.grad, ref.detach().numpy(), tz.grad.numpy()


LABELS_AND_ROWS = {"label": np.array(1), "label2": np.array(2),
                   "soft": np.array([0.1, 0.2, 0.3, 0.4]), "soft2": np.array([0.0, 0.5, 0.0, 0.5])}
CE_CASES = [pytest.param(target, options, id=f"{name}-{oid}")
            for name, target in LABELS_AND_ROWS.items()
            for oid, options in zip(["plain", "weight", "ignore"], NLL_OPTIONS[:3], strict=True)
            if not (target.ndim and "ignore_index" in options)]  # ignore_index is for labels


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("target, options", CE_CASES)
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_unbatched_cross_entropy_matches_pytorch(torch, reduction, target, options):
    z = np.random.default_rng(2).normal(size=4)
    out, grad, ref, ref_grad = cross_entropy_pair(torch, z, target, reduction, **options)
    assert out.shape == ref.shape == ()
    np.testing.assert_allclose(out.data, ref, rtol=1e-6, equal_nan=True)
    # An ignored sample's mean is 0/0 = nan, but its gradient is 0, as in PyTorch.
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-6, atol=1e-12, equal_nan=False)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_unbatched_cross_entropy_of_two_classes_takes_a_probability_pair(torch, reduction):
    z = np.array([0.3, -1.2])
    out, grad, ref, ref_grad = cross_entropy_pair(torch, z, np.array([0.25, 0.75]), reduction)
    np.testing.assert_allclose(out.data, ref, rtol=1e-6)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-6)


def test_unbatched_cross_entropy_reads_a_one_entry_target_as_a_label():
    z = np.array([0.5, -1.0, 2.0])
    expected = F.cross_entropy(z, np.array(2)).item()
    assert F.cross_entropy(z, np.array([2])).item() == pytest.approx(expected)
    assert expected == pytest.approx(np.log(np.exp(z).sum()) - 2.0)


def test_cross_entropy_weights_given_as_a_list_match_pytorch(torch):
    z = np.random.default_rng(3).normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    out, grad, ref, ref_grad = cross_entropy_pair(torch, z, labels, "mean", weight=[0.2, 1.0, 3.0])
    np.testing.assert_allclose(out.data, ref, rtol=1e-6)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda z: F.cross_entropy(z, [0, 1], reduction="avg"), ArgumentError,
     r"^cross_entropy: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"),
    (lambda z: F.cross_entropy(z, Tensor(np.eye(3)[:2], requires_grad=True)), ArgumentError,
     r"^cross_entropy: the target requires grad, but cross_entropy does not differentiate "
     r"with respect to its targets; pass target\.detach\(\), or write "
     r"-\(target \* log_softmax\(input, 1\)\)\.sum\(1\)\.mean\(\) to differentiate both$"),
    (lambda z: F.cross_entropy(z.reshape(1, 2, 3), [0]), ShapeError,
     r"^cross_entropy: input must be \(n, classes\), got shape \(1, 2, 3\)"),
    (lambda z: F.cross_entropy(z, [0, 1], np.ones(2)), ShapeError,
     r"^cross_entropy: weight must have one entry per class \(3\), got shape \(2,\)"),
    (lambda z: F.cross_entropy(z, [0, 1], Tensor(np.ones(3), requires_grad=True)), ArgumentError,
     r"^cross_entropy: weight requires grad, .*pass weight\.detach\(\)"),
    (lambda z: F.cross_entropy(z, [0, 1], [1.0, np.inf, 1.0]), DataError,
     r"^cross_entropy: weight: targets must be finite, but entry \(1,\) is inf"),
    (lambda z: F.cross_entropy(z, [0, 3]), DataError,
     r"^cross_entropy: labels must be in \[0, 3\) for 3 classes, but label 3 is at index 1"),
    (lambda z: F.cross_entropy(z, [0, 1, 2]), DataError,
     r"^cross_entropy: 2 rows of logits but 3 labels$"),
    (lambda z: F.cross_entropy(z, np.full((2, 4), 0.25)), DataError,
     r"^cross_entropy: target rows have shape \(2, 4\), the logits \(2, 3\)"),
], ids=["reduction", "target-grad", "3d-input", "weight-shape", "weight-grad", "weight-inf",
        "label-range", "label-count", "rows-shape"])
def test_cross_entropy_errors_name_the_op_the_fault_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.zeros((2, 3))))
