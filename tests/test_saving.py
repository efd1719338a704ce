"""Saving and loading: `save` and `load` use exactly the path they are given, writes are
atomic, state dicts and nested checkpoints (an optimizer's state dict, {'model': ...,
'optimizer': ..., 'epoch': ...}) round-trip without pickle, and bad files are refused."""
from __future__ import annotations

import json
import os
import re
import zipfile

import numpy as np
import pytest

from micrograd import Tensor, nn, optim
from micrograd.errors import CheckpointNotFoundError, StateDictError
from micrograd.nn.serialization import TREE

try:
    import torch
except ImportError:  # pragma: no cover - CI without the optional extra
    torch = None


def model(seed=0):
    return nn.MLP([2, 3, 2], seed=seed)


def assert_same_weights(a, b):
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)


# --------------------------------------------------------------------------- the same path

@pytest.mark.parametrize("name", ["w.pt", "w", "w.npz", "weights.v2.bin"])
def test_save_and_load_use_exactly_the_given_path(tmp_path, name):
    a = model(0)
    path = tmp_path / name
    assert nn.save(a, str(path)) == path
    assert os.listdir(tmp_path) == [name]  # no suffix added, no temporary file left
    with zipfile.ZipFile(path) as z:  # an .npz archive inside, whatever the name
        assert sorted(z.namelist()) == sorted(f"{k}.npy" for k in a.state_dict())
    b = nn.load(model(1), str(path))
    assert_same_weights(a, b)
    c = model(2)
    c.save(path)  # Module.save / Module.load: the same rule
    assert_same_weights(model(1).load(path), c)


def test_a_file_an_older_version_saved_with_npz_appended_is_pointed_to(tmp_path):
    nn.save(model(), tmp_path / "w.npz")  # what save(model, "w") used to write
    with pytest.raises(CheckpointNotFoundError, match=r"no file .*w; there is w\.npz next to it "
                                                      r"\(older versions of nn\.save added \.npz\)"):
        nn.load(model(), tmp_path / "w")


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no file .*nowhere\.pt; check the path"):
        nn.load(tmp_path / "nowhere.pt")


# --------------------------------------------------------------------------- atomic writes

def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    nn.save({"w": np.ones(3)}, path)
    old = path.read_bytes()

    def broken_savez(file, *args, **kwds):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="No space left"):
        nn.save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ckpt.pt"]


def test_an_object_that_cannot_be_saved_is_refused_before_the_file_is_touched(tmp_path):
    path = tmp_path / "ckpt.pt"
    nn.save({"w": np.ones(3)}, path)
    old = path.read_bytes()
    with pytest.raises(StateDictError, match=r"the object\['extra'\]\[1\] is a function"):
        nn.save({"w": np.zeros(3), "extra": [1, lambda: 0]}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ckpt.pt"]


def test_overwriting_keeps_the_files_mode(tmp_path):
    path = tmp_path / "w.pt"
    nn.save(model(), path)
    os.chmod(path, 0o640)
    nn.save(model(1), path)
    assert path.stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------- state dicts

def test_a_state_dict_of_arrays_and_tensors_round_trips(tmp_path):
    state = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": Tensor([1.0, 2.0]),
             "steps": np.array(7)}
    path = nn.save(state, tmp_path / "sd.pt")
    back = nn.load(path)
    assert sorted(back) == ["a", "b", "steps"]
    assert back["a"].dtype == np.float32 and isinstance(back["b"], np.ndarray)
    np.testing.assert_array_equal(back["a"], state["a"])
    np.testing.assert_array_equal(back["b"], [1.0, 2.0])
    with np.load(path, allow_pickle=False) as f:  # a flat state dict is a plain .npz
        assert sorted(f.files) == ["a", "b", "steps"]


def test_a_models_state_dict_loads_back_into_a_model(tmp_path):
    a = model(0)
    nn.save(a.state_dict(), tmp_path / "sd.pt")  # torch.save(model.state_dict(), path)
    b = model(1)
    b.load_state_dict(nn.load(tmp_path / "sd.pt"))  # model.load_state_dict(torch.load(path))
    assert_same_weights(a, b)


def test_a_nested_checkpoint_round_trips_with_its_types(tmp_path):
    checkpoint = {"epoch": 3, "lr": 0.05, "name": "run-1", "done": False, "note": None,
                  "betas": (0.9, 0.99), "sizes": [2, 3, 2], 0: {"nan": float("nan")},
                  "weights": {"w": np.eye(2), "b": Tensor(np.zeros(2, dtype=np.float32))},
                  "file": np.ones(1)}  # a name numpy's savez would take for its own argument
    back = nn.load(nn.save(checkpoint, tmp_path / "ckpt.pt"))
    assert back["epoch"] == 3 and back["lr"] == 0.05 and back["name"] == "run-1"
    assert back["done"] is False and back["note"] is None
    assert back["betas"] == (0.9, 0.99) and isinstance(back["betas"], tuple)
    assert back["sizes"] == [2, 3, 2] and np.isnan(back[0]["nan"])
    np.testing.assert_array_equal(back["weights"]["w"], np.eye(2))
    assert back["weights"]["b"].dtype == np.float32
    np.testing.assert_array_equal(back["file"], [1.0])


def test_an_optimizer_checkpoint_resumes_training_identically(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 2)).astype(np.float32), rng.integers(0, 2, 16)  # models' dtype

    def train(net, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(net(Tensor(X)), y).backward()
            opt.step()

    straight = model(0)
    train(straight, optim.Adam(straight.parameters(), lr=0.05), 10)
    first = model(0)
    opt = optim.Adam(first.parameters(), lr=0.05)
    train(first, opt, 4)
    nn.save({"model": first.state_dict(), "optimizer": opt.state_dict(), "epoch": 4},
            tmp_path / "ckpt.pt")
    checkpoint = nn.load(tmp_path / "ckpt.pt")
    resumed = model(5)
    resumed.load_state_dict(checkpoint["model"])
    opt2 = optim.Adam(resumed.parameters(), lr=0.05)
    opt2.load_state_dict(checkpoint["optimizer"])
    train(resumed, opt2, 6)
    assert checkpoint["epoch"] == 4
    assert_same_weights(resumed, straight)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_a_saved_linear_layer_loads_into_torch(tmp_path):
    layer = nn.Linear(3, 2, seed=0, dtype=np.float64)  # compared with .double() to 1e-12
    state = nn.load(nn.save(layer, tmp_path / "linear.pt"))
    theirs = torch.nn.Linear(3, 2).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), layer(x).data,
                               rtol=1e-12)


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("obj, pattern", [
    (optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1), r"is a SGD.*pass its state_dict\(\)"),
    ({"w": np.array([object(), 1])}, r"the object\['w'\] is an array of dtype object, which "
                                     r"needs pickle"),
    ({(1, 2): np.ones(1)}, r"has the key \(1, 2\); keys must be strings or integers"),
])
def test_what_cannot_be_saved_is_named(tmp_path, obj, pattern):
    with pytest.raises(StateDictError, match=pattern):
        nn.save(obj, tmp_path / "x.pt")
    assert os.listdir(tmp_path) == []


def test_saving_to_a_folder_is_refused(tmp_path):
    with pytest.raises(StateDictError, match=r"is a folder; give a file name such as"):
        nn.save(model(), tmp_path)


def test_load_into_a_model_needs_a_models_state_dict(tmp_path):
    nn.save({"model": model().state_dict(), "epoch": 1}, tmp_path / "ckpt.pt")
    net = model(3)
    before = net.state_dict()
    with pytest.raises(StateDictError, match=r"holds a dict \(keys 'model', 'epoch'\), not a "
                                             r"model's state dict"):
        nn.load(net, tmp_path / "ckpt.pt")
    for name, value in net.state_dict().items():  # unchanged
        np.testing.assert_array_equal(value, before[name])
    with pytest.raises(StateDictError, match=r"load\(model, path\) needs the path"):
        nn.load(net)


def test_a_tampered_structure_is_reported_as_corrupt(tmp_path):
    path = tmp_path / "ckpt.pt"
    arrays = {"0": np.ones(2),
              TREE: np.frombuffer(json.dumps({"dict": [["w", {"array": "9"}]]}).encode(), np.uint8)}
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(StateDictError, match=rf"^load: {re.escape(str(path))} is truncated or "
                                             r"corrupt \(KeyError"):
        nn.load(path)


def test_an_unknown_kind_of_node_in_the_structure_is_named(tmp_path):
    path = tmp_path / "ckpt.pt"
    tree = json.dumps({"set": [["w", {"array": "0"}]]}).encode()
    with open(path, "wb") as f:
        np.savez(f, **{"0": np.ones(2), TREE: np.frombuffer(tree, np.uint8)})
    want = rf"corrupt \(ValueError: unknown node 'set' in {TREE}\)"
    with pytest.raises(StateDictError, match=rf"^load: {re.escape(str(path))} is truncated or {want}"):
        nn.load(path)


def test_a_member_that_is_not_an_array_is_named_with_the_file_and_the_cause(tmp_path):
    """An archive member whose .npy header numpy cannot parse raises ValueError inside
    np.load; it must come out as 'corrupt', with the path and numpy's own words."""
    path = tmp_path / "ckpt.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("w.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': ???}  \n")
    with pytest.raises(StateDictError, match=rf"^load: {re.escape(str(path))} is truncated or "
                                             r"corrupt \(ValueError: .+\); save the model again"):
        nn.load(path)


def test_a_member_that_is_not_an_npy_file_is_refused_by_name(tmp_path):
    """np.load returns such a member as raw bytes; nn.load must not pass them on as a weight."""
    path = tmp_path / "ckpt.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("w.npy", b"plain bytes")
        z.writestr("b.npy", b"plain bytes")
    with pytest.raises(StateDictError, match=rf"^load: {re.escape(str(path))} is not a checkpoint "
                                             r"written by nn\.save: its member\(s\) 'w', 'b' "
                                             r"are not \.npy arrays$"):
        nn.load(path)


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(b"\x80\x04 a pickle, say")
    with pytest.raises(StateDictError, match=r"is not an \.npz checkpoint"):
        nn.load(model(), path)
