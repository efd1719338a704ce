"""Bad input to micrograd.nn (and gradcheck) ends in the right result or a clear error:
frozen parameters in checkpoints, atomic saves, loads that check before they write,
layer sizes, labels and regression targets."""
from __future__ import annotations

import os

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, nn
from micrograd.data import DataError
from micrograd.gradients.gradcheck import gradcheck
from micrograd.nn import functional as F
from micrograd.nn.serialization import CheckpointNotFoundError


def snapshot(model):
    """Every tensor's values and version counter, to show that a failed load changed nothing."""
    return {n: (t.data.copy(), t._version) for n, t, _ in model._named_tensors()}


def assert_unchanged(model, before):
    after = snapshot(model)
    assert after.keys() == before.keys()
    for n, (values, version) in before.items():
        np.testing.assert_array_equal(after[n][0], values, err_msg=n)
        assert after[n][1] == version, f"{n} was written to"


# ----------------------------------------------------------------- 1. frozen parameters and buffers

class Scaled(nn.Module):
    """A layer with a buffer: a Tensor attribute that never required grad."""

    def __init__(self):
        self.inner = nn.Linear(2, 2, seed=3)
        self.scale = Tensor(np.array([2.0, 3.0]))

    def forward(self, x):
        return self.inner(x) * self.scale


def test_frozen_parameters_and_buffers_round_trip_through_save_and_load(tmp_path):
    a = nn.MLP([2, 4, 3], seed=0)
    a.layers[0].weight.requires_grad = False  # frozen: no longer trainable, still part of the model
    assert [n for n, _ in a.named_parameters()] == ["layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert [n for n, _ in a.named_parameters(include_frozen=True)] == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert list(a.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]

    b = nn.MLP([2, 4, 3], seed=1)
    b.layers[0].weight.requires_grad = False
    version = b.layers[0].weight._version
    b.load(nn.save(a, tmp_path / "frozen"))
    for (n, p), (_, q) in zip(a.named_parameters(include_frozen=True), b.named_parameters(include_frozen=True)):
        np.testing.assert_array_equal(p.data, q.data, err_msg=n)
    assert b.layers[0].weight._version == version + 1  # filled through the counted in-place path
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)  # the models' dtype
    np.testing.assert_array_equal(a(x).data, b(x).data)

    c, d = Scaled(), Scaled()
    with mg.no_grad():
        c.scale.copy_(np.array([5.0, 7.0]))
    assert [n for n, _ in c.named_buffers()] == ["scale"]
    assert "scale" in c.state_dict() and [n for n, _ in c.named_parameters()] == ["inner.weight", "inner.bias"]
    d.load(nn.save(c, tmp_path / "buffer.npz"))
    np.testing.assert_array_equal(d.scale.data, [5.0, 7.0])


def test_a_frozen_model_cannot_load_a_checkpoint_that_lacks_its_frozen_weights(tmp_path):
    old = nn.Linear(2, 2, seed=0)
    path = tmp_path / "bias_only.npz"
    np.savez(path, bias=old.bias.data)  # what save() used to write for a model with a frozen weight
    new = nn.Linear(2, 2, seed=1)
    new.weight.requires_grad = False
    before = snapshot(new)
    with pytest.raises(nn.StateDictError, match="missing from the file: weight"):
        new.load(path)
    assert_unchanged(new, before)


# ----------------------------------------------------------------- 2. atomic save

def test_a_save_that_fails_midway_leaves_the_old_checkpoint_and_no_temp_file(tmp_path, monkeypatch):
    good = nn.MLP([2, 3, 2], seed=0)
    path = nn.save(good, tmp_path / "model.npz")
    old_bytes = path.read_bytes()
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # not mkstemp's private 0600

    def broken_savez(file, *args, **kwds):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="No space left"):
        nn.save(nn.MLP([2, 3, 2], seed=1), path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["model.npz"]  # the temporary file was removed
    restored = nn.MLP([2, 3, 2], seed=5).load(path)
    np.testing.assert_array_equal(restored.layers[0].weight.data, good.layers[0].weight.data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ----------------------------------------------------------------- 3. loads check everything first

def _good_file(tmp_path):
    return nn.save(nn.MLP([2, 3, 2], seed=0), tmp_path / "good.npz")


def _state(**changes):
    state = dict(nn.MLP([2, 3, 2], seed=0).state_dict())
    state.update(changes)
    return {k: v for k, v in state.items() if v is not None}


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


BAD_FILES = {
    "truncated": (lambda tmp: _write(tmp, "cut.npz", _good_file(tmp).read_bytes()[:300]), r"truncated or corrupt"),
    "corrupt": (lambda tmp: _write(tmp, "flipped.npz", _flip(_good_file(tmp).read_bytes())), r"CRC"),
    "not npz": (lambda tmp: _write(tmp, "notes.npz", b"hello, I am a text file\n"), r"not an \.npz checkpoint"),
    "npy": (lambda tmp: _npy(tmp), r"single \.npy array"),
    "empty": (lambda tmp: _write(tmp, "empty.npz", b""), r"not an \.npz checkpoint"),
    "a folder": (lambda tmp: _folder(tmp), r"cannot read"),
}


def _flip(raw: bytes) -> bytes:
    raw = bytearray(raw)
    raw[raw.index(b"\x93NUMPY") + 140] ^= 0xFF  # inside the first array's values
    return bytes(raw)


def _npy(tmp):
    np.save(tmp / "one.npy", np.zeros(3))
    return tmp / "one.npy"


def _folder(tmp):
    (tmp / "dir.npz").mkdir()
    return tmp / "dir.npz"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_broken_file_is_a_state_dict_error_and_the_model_is_untouched(tmp_path, case):
    make, pattern = BAD_FILES[case]
    path = make(tmp_path)
    model = nn.MLP([2, 3, 2], seed=9)
    before = snapshot(model)
    with pytest.raises(nn.StateDictError, match=pattern) as e:
        nn.load(model, path)
    assert str(path) in str(e.value)
    assert_unchanged(model, before)


def test_a_missing_file_names_the_path(tmp_path):
    model = nn.MLP([2, 3, 2], seed=9)
    with pytest.raises(CheckpointNotFoundError, match=r"no file .*nowhere\.npz") as e:
        nn.load(model, tmp_path / "nowhere.npz")
    assert isinstance(e.value, nn.StateDictError) and isinstance(e.value, FileNotFoundError)


def test_load_accepts_the_path_given_to_save(tmp_path):
    a = nn.MLP([2, 3, 2], seed=0)
    nn.save(a, tmp_path / "w")  # written as w, exactly
    b = nn.load(nn.MLP([2, 3, 2], seed=1), tmp_path / "w")
    np.testing.assert_array_equal(a.layers[2].bias.data, b.layers[2].bias.data)


BAD_STATES = {
    "strings": (_state(**{"layers.0.bias": np.array(["a", "b", "c"])}), r"layers\.0\.bias: the file holds dtype <U1"),
    "complex": (_state(**{"layers.0.bias": np.ones(3, dtype=complex)}), r"dtype complex128, which cannot be cast"),
    "ragged": (_state(**{"layers.0.bias": [[1.0], [1.0, 2.0]]}), r"layers\.0\.bias: not an array"),
    "shape": (_state(**{"layers.2.weight": np.zeros((3, 2))}), r"layers\.2\.weight: the model has shape \(2, 3\), the file \(3, 2\)"),
    "missing": (_state(**{"layers.2.bias": None}), r"missing from the file: layers\.2\.bias"),
    "unexpected": (_state(extra=np.zeros(1)), r"in the file but not in the model: extra"),
    "nan": (_state(**{"layers.0.weight": np.full((3, 2), np.nan)}), r"layers\.0\.weight: 6 value\(s\) are nan or inf"),
}


@pytest.mark.parametrize("case", sorted(BAD_STATES))
def test_a_state_that_does_not_fit_is_refused_before_anything_is_written(case):
    state, pattern = BAD_STATES[case]
    model = nn.MLP([2, 3, 2], seed=9)
    before = snapshot(model)
    with pytest.raises(nn.StateDictError, match=pattern):
        model.load_state_dict(state)
    assert_unchanged(model, before)


def test_string_arrays_in_a_file_leave_the_model_untouched(tmp_path):
    # The state is listed in file order, so a bad entry comes after good ones that could
    # have been written already.
    path = tmp_path / "text.npz"
    np.savez(path, **_state(**{"layers.2.bias": np.array(["x", "y"])}))
    model = nn.MLP([2, 3, 2], seed=9)
    before = snapshot(model)
    with pytest.raises(nn.StateDictError, match=r"text\.npz.*layers\.2\.bias: the file holds dtype <U1"):
        model.load(path)
    assert_unchanged(model, before)


def test_float32_models_take_float64_files_but_not_values_that_overflow():
    model = nn.Sequential(nn.Linear(2, 2, seed=0, dtype=np.float32))
    model.load_state_dict({"0.weight": np.full((2, 2), 0.5), "0.bias": np.array([1, 2])})  # float64, int64
    assert model[0].weight.dtype == np.float32
    np.testing.assert_array_equal(model[0].bias.data, [1.0, 2.0])
    before = snapshot(model)
    with pytest.raises(nn.StateDictError, match=r"0\.weight: values up to 1e\+300 overflow the model's float32"):
        model.load_state_dict({"0.weight": np.full((2, 2), 1e300), "0.bias": np.zeros(2)})
    assert_unchanged(model, before)


# ----------------------------------------------------------------- 8. layer sizes

@pytest.mark.parametrize("sizes, bad", [
    ([2, 2.7, 2], "2.7"), ([2, 2.0, 2], "2.0"), ([2, 0, 2], "0"), ([2, -3, 2], "-3"), ([True, 2], "True"),
])
def test_mlp_sizes_must_be_positive_integers(sizes, bad):
    with pytest.raises(mg.ShapeError, match=rf"MLP\(.*\): sizes\[\d\] must be an integer >= 1, got {bad}"):
        nn.MLP(sizes)


@pytest.mark.parametrize("n_in, n_out, name, bad", [
    (0, 3, "in_features", "0"), (-1, 3, "in_features", "-1"), (2, 0, "out_features", "0"),
    (2.5, 3, "in_features", "2.5"), (2, "3", "out_features", "'3'"),
])
def test_linear_sizes_must_be_positive_integers(n_in, n_out, name, bad):
    with pytest.raises(mg.ShapeError, match=rf"^Linear: {name} must be an integer >= 1, got {bad}; "
                                            r"pass whole positive numbers of features$"):
        nn.Linear(n_in, n_out)


def test_unknown_activation_and_reduction_are_micrograd_errors():
    with pytest.raises(nn.ArgumentError, match="swish"):
        nn.MLP([2, 3, 2], activation="swish")
    with pytest.raises(nn.ArgumentError, match="'avg'"):
        F.cross_entropy(Tensor(np.zeros((1, 2))), [0], reduction="avg")
    with pytest.raises(nn.ArgumentError, match="'avg'"):
        F.mse_loss(Tensor(np.zeros(2)), np.zeros(2), reduction="avg")


# ----------------------------------------------------------------- 9. labels and targets

@pytest.mark.parametrize("labels, shown", [
    (np.array([0.0, 1e20]), r"label 1e\+20 is at index 1"),
    (np.array([0, 2**64 - 1], dtype=np.uint64), r"label 18446744073709551615 is at index 1"),
    (np.array([0, 2**63], dtype=np.uint64), r"label 9223372036854775808 is at index 1"),
    (np.array([0.0, -3e19]), r"label -3e\+19 is at index 1"),
])
def test_a_huge_label_is_reported_as_itself(labels, shown):
    with pytest.raises(DataError, match=shown):
        F.cross_entropy(Tensor(np.zeros((2, 3))), labels)


@pytest.mark.parametrize("labels, shown", [
    ([0.0, 1.5], r"label 1\.5 is at index 1"), ([np.nan, 1.0], r"label nan is at index 0"),
    ([0.0, np.inf], r"label inf is at index 1"),
])
def test_non_integral_float_labels_are_refused(labels, shown):
    with pytest.raises(DataError, match=rf"whole numbers.*{shown}"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array(labels))


def test_mse_loss_treats_integer_targets_as_values():
    pred = Tensor(np.array([[0.5, 1.5], [2.5, 3.5]]), requires_grad=True)
    loss = F.mse_loss(pred, np.array([[1, 2], [3, 4]]))  # integers: values, not class labels
    assert loss.item() == pytest.approx(0.25)
    pred32 = Tensor(np.array([0.5, 1.5], dtype=np.float32))
    assert F.mse_loss(pred32, np.array([1, 2])).dtype == np.float32  # targets take pred's dtype


@pytest.mark.parametrize("pred_shape, target", [
    ((2, 2), np.array([1, 0])),         # class labels against (n, C): once silently one-hot
    ((3, 1), np.arange(3.0)),           # (n, 1) against (n,): PyTorch broadcasts to (n, n)
    ((3,), np.zeros((3, 1))),
])
def test_mse_loss_shapes_must_match_exactly(pred_shape, target):
    pred = Tensor(np.zeros(pred_shape))
    pattern = rf"predictions have shape {pred_shape} but targets {target.shape}".replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(mg.ShapeError, match=pattern):
        F.mse_loss(pred, target)


def test_mse_loss_targets_must_be_finite_numbers():
    with pytest.raises(DataError, match="targets must be numbers, got dtype <U1"):
        F.mse_loss(Tensor(np.zeros(2)), np.array(["a", "b"]))
    with pytest.raises(DataError, match=r"entry \(1,\) is nan"):
        F.mse_loss(Tensor(np.zeros(2)), np.array([0.0, np.nan]))


# ----------------------------------------------------------------- 10. gradcheck restores its inputs

def test_gradcheck_puts_the_inputs_back_when_fn_raises():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    original = x.data.copy()
    calls = []

    def fn(t):
        calls.append(1)
        if len(calls) == 4:  # in the middle of the finite differences, with x nudged by eps
            raise RuntimeError("fn failed")
        return (t * t).sum()

    with pytest.raises(RuntimeError, match="fn failed"):
        gradcheck(fn, [x])
    np.testing.assert_array_equal(x.data, original)
    assert gradcheck(lambda t: (t * t).sum(), [x])  # and it still works on the same tensor
    np.testing.assert_array_equal(x.data, original)


def test_gradcheck_refuses_inputs_that_are_not_tensors():
    with pytest.raises(mg.GradcheckError, match="input 1 is a ndarray, not a Tensor"):
        gradcheck(lambda a, b: a * b, [Tensor(np.ones(2), requires_grad=True), np.ones(2)])


def test_an_ignored_row_with_a_masked_minus_inf_logit_counts_zero_not_nan():
    # PyTorch skips ignored rows; multiplying their pick by weight 0 would give 0 · inf = nan.
    z = np.array([[-np.inf, 1.0, 0.0], [0.5, -1.0, 2.0], [-np.inf, -np.inf, 3.0]])
    labels = np.array([-100, 2, 2])
    logp = z[1:] - np.log(np.exp(z[1:]).sum(1, keepdims=True))
    kept = -logp[np.arange(2), [2, 2]]
    for weight in (None, np.array([1.0, 1.0, 1.0])):
        x = Tensor(z, requires_grad=True)
        loss = F.cross_entropy(x, labels, weight)
        assert loss.item() == pytest.approx(kept.mean())
        loss.backward()
        assert np.isfinite(x.grad).all()
        np.testing.assert_array_equal(x.grad[0], 0)
    per_row = F.nll_loss(np.array([[-np.inf, 0.0], [-0.5, -0.25]]), np.array([-100, 1]),
                         reduction="none")
    np.testing.assert_array_equal(per_row.data, [0.0, 0.25])


@pytest.mark.parametrize("logits, targets", [
    (np.array([-2.0, 0.5, 3.0]), np.array([0, 1, 1])),          # binary scores, one per row
    (np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=np.int64)),    # per-token logits
    (np.zeros((2, 3)), np.zeros((2, 3, 1))),
])
def test_accuracy_refuses_logits_that_are_not_one_row_per_example(logits, targets):
    # 1-D scores were argmaxed into one index and compared with every label: a wrong number.
    with pytest.raises(DataError, match=r"^accuracy: .*need one row per example: logits "
                                        r"\(n, classes\), targets \(n,\) class labels or "
                                        r"\(n, classes\) one-hot rows$"):
        F.accuracy(logits, targets)
