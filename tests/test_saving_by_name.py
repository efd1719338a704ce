"""Checkpoints are matched by name, not by position: a model whose parameters were created in
another order loads every array into the parameter of the same name; a tensor that appears
under two names is saved under both and loads once; loading copies (the file's arrays and
the model never share memory)."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd import nn
from micrograd.nn.serialization import CheckpointNotFoundError


class Forward(nn.Module):
    """encoder (3 -> 4) then head (4 -> 2), created in that order."""

    def __init__(self, seed):
        super().__init__()
        self.encoder = nn.Linear(3, 4, seed=seed, dtype=np.float64)
        self.head = nn.Linear(4, 2, seed=seed + 1, dtype=np.float64)
        self.scale = nn.Parameter(np.array([1.5, -0.5], dtype=np.float64))

    def forward(self, x):
        return self.head(self.encoder(x).tanh()) * self.scale


class Backward(Forward):
    """The same names, created in the opposite order (so parameters() lists them reversed)."""

    def __init__(self, seed):
        nn.Module.__init__(self)
        self.scale = nn.Parameter(np.zeros(2, dtype=np.float64))
        self.head = nn.Linear(4, 2, seed=seed, dtype=np.float64)
        self.encoder = nn.Linear(3, 4, seed=seed + 1, dtype=np.float64)


def test_the_two_models_list_their_parameters_in_different_orders():
    assert [n for n, _ in Forward(0).named_parameters()] != \
        [n for n, _ in Backward(0).named_parameters()]


@pytest.mark.parametrize("through_file", [False, True])
def test_loading_into_a_model_built_in_another_order_matches_by_name(tmp_path, through_file):
    src, dst = Forward(seed=10), Backward(seed=20)
    if through_file:
        nn.save(src, tmp_path / "w.npz")
        nn.load(dst, tmp_path / "w.npz")
    else:
        dst.load_state_dict(src.state_dict())
    theirs = dict(src.named_parameters())
    for name, p in dst.named_parameters():
        np.testing.assert_array_equal(p.data, theirs[name].data, err_msg=name)
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(dst(mg.tensor(x, dtype=np.float64)).data,
                                  src(mg.tensor(x, dtype=np.float64)).data)


def test_loading_copies_the_arrays_in_and_state_dict_copies_them_out():
    src, dst = Forward(seed=1), Backward(seed=2)
    state = src.state_dict()
    dst.load_state_dict(state)
    before = dst.encoder.weight.data.copy()
    state["encoder.weight"][...] = 99.0  # the dict's array is not the model's
    np.testing.assert_array_equal(dst.encoder.weight.data, before)
    with mg.no_grad():
        src.encoder.weight.copy_(np.full((4, 3), -7.0))  # nor is state_dict() a view of src
        dst.encoder.weight.copy_(np.full((4, 3), 3.0))  # nor does dst write back into the dict
    assert not np.any(state["encoder.weight"] == -7.0)
    assert np.all(state["encoder.weight"] == 99.0)


class Tied(nn.Module):
    """One weight used twice, under two names (as tied input and output embeddings)."""

    def __init__(self, seed):
        super().__init__()
        self.a = nn.Linear(3, 3, bias=False, seed=seed, dtype=np.float64)
        self.b = nn.Linear(3, 3, bias=False, seed=seed + 1, dtype=np.float64)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_a_tied_parameter_is_saved_under_both_names_and_listed_once(tmp_path):
    m = Tied(seed=3)
    state = m.state_dict()
    assert sorted(state) == ["a.weight", "b.weight"]
    np.testing.assert_array_equal(state["a.weight"], state["b.weight"])
    assert len(m.parameters()) == 1
    other = Tied(seed=7)
    nn.save(m, tmp_path / "t.npz")
    nn.load(other, tmp_path / "t.npz")
    assert other.a.weight is other.b.weight  # still tied after loading
    np.testing.assert_array_equal(other.a.weight.data, m.a.weight.data)


def test_a_checkpoint_with_a_misspelled_name_is_refused_and_the_model_kept():
    src, dst = Forward(seed=1), Backward(seed=2)
    state = src.state_dict()
    state["decoder.weight"] = state.pop("encoder.weight")
    kept = {n: p.data.copy() for n, p in dst.named_parameters()}
    with pytest.raises(nn.StateDictError, match="encoder.weight") as info:
        dst.load_state_dict(state)
    assert "decoder.weight" in str(info.value)
    for n, p in dst.named_parameters():
        np.testing.assert_array_equal(p.data, kept[n], err_msg=n)
    missing, unexpected = dst.load_state_dict(state, strict=False)
    assert (list(missing), list(unexpected)) == (["encoder.weight"], ["decoder.weight"])
    np.testing.assert_array_equal(dst.head.weight.data, src.head.weight.data)
    np.testing.assert_array_equal(dst.encoder.weight.data, kept["encoder.weight"])


# -- what mutation testing of nn/serialization.py found untested ----------------------------

def test_saving_to_a_folder_suggests_a_file_name(tmp_path):
    with pytest.raises(nn.StateDictError, match=r"^save: .* is a folder; give a file name such "
                                                r"as .*model\.npz$"):
        nn.save(Forward(0), tmp_path)


def test_load_of_a_model_without_a_path_says_so():
    with pytest.raises(nn.StateDictError, match=r"^load: load\(model, path\) needs the path of "
                                                r"the file$"):
        nn.load(Forward(0))


def test_a_nested_checkpoint_loaded_into_a_model_says_how_to_use_it(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"model": Forward(0).state_dict(), "epoch": 3}, path)
    with pytest.raises(nn.StateDictError, match=r"holds a dict \(keys 'model', 'epoch'\), not a "
                                                r"model's state dict; read it with "
                                                r"micrograd.nn.load\(path\) and pass the model's "
                                                r"part to model.load_state_dict$"):
        nn.load(Forward(1), path)
    back = nn.load(path)
    assert back["epoch"] == 3 and set(back["model"]) == set(Forward(0).state_dict())


def test_nested_objects_come_back_as_they_went_in(tmp_path):
    obj = {"a": [1, 2.5, None, "x", True], "t": (np.arange(3), mg.tensor([1.0, 2.0])),
           np.int64(4): {"deep": np.float32(0.5)}}
    nn.save(obj, tmp_path / "o.npz")
    back = nn.load(tmp_path / "o.npz")
    assert back["a"] == [1, 2.5, None, "x", True] and type(back["t"]) is tuple
    np.testing.assert_array_equal(back["t"][0], np.arange(3))
    np.testing.assert_array_equal(back["t"][1], [1.0, 2.0])
    assert back[4] == {"deep": 0.5} and type(back[4]["deep"]) is float


def test_what_a_checkpoint_cannot_hold_is_named_with_a_hint(tmp_path):
    with pytest.raises(nn.StateDictError, match=r"^save: the object\['m'\] is a Forward; a "
                                                r"checkpoint holds dicts, lists, tuples, numbers, "
                                                r"strings, None, arrays and Tensors \(never "
                                                r"pickle\); pass its state_dict\(\)$"):
        nn.save({"m": Forward(0)}, tmp_path / "x.npz")
    with pytest.raises(nn.StateDictError, match=r"is a set; .*\(never pickle\)$"):
        nn.save({"s": {1, 2}}, tmp_path / "x.npz")
    with pytest.raises(nn.StateDictError, match=r"^save: the object\[0\] is an array of dtype "
                                                r"object, which needs pickle"):
        nn.save([np.array([{}, 1], dtype=object)], tmp_path / "x.npz")


def test_files_that_are_not_checkpoints_are_named_for_what_they_are(tmp_path):
    npy = tmp_path / "a.npy"
    np.save(npy, np.zeros(2))
    with pytest.raises(nn.StateDictError, match=r"holds a single \.npy array, not a checkpoint "
                                                r"written by nn\.save \(an \.npz archive of named "
                                                r"arrays\)$"):
        nn.load(npy)
    text = tmp_path / "a.txt"
    text.write_text("hello world")
    with pytest.raises(nn.StateDictError, match=r"is not an \.npz checkpoint \(it starts with "
                                                r"b'hello ', not a zip header\); pass a file "
                                                r"written by nn\.save$"):
        nn.load(text)
    pickled = tmp_path / "p.npz"
    np.savez(pickled, a=np.array([{}, 1], dtype=object))
    with pytest.raises(nn.StateDictError, match=r"holds arrays that need pickle; refusing "
                                                r"\(checkpoints from nn\.save hold plain numeric "
                                                r"arrays\)$"):
        nn.load(pickled)


def test_a_truncated_checkpoint_is_named_with_the_way_out(tmp_path):
    path = tmp_path / "w.npz"
    nn.save(Forward(0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(nn.StateDictError, match=rf"^load: {path} is truncated or corrupt "
                                                r"\(\w+: .*\); save the model again or use an "
                                                r"older checkpoint$"):
        nn.load(path)


def test_a_missing_file_points_at_the_older_npz_name(tmp_path):
    nn.save(Forward(0), tmp_path / "w.pt.npz")
    with pytest.raises(CheckpointNotFoundError, match=r"there is w\.pt\.npz next to it .*: "
                                                         r"pass that path$"):
        nn.load(tmp_path / "w.pt")
    with pytest.raises(CheckpointNotFoundError, match=r"; check the path$"):
        nn.load(tmp_path / "none.npz")


def test_an_npz_path_gets_no_older_name_hint_and_a_folder_cannot_be_read(tmp_path):
    nn.save(Forward(0), tmp_path / "w.npz.npz")
    with pytest.raises(CheckpointNotFoundError, match=r"^load: there is no file .*w\.npz; check "
                                                      r"the path$"):
        nn.load(tmp_path / "w.npz")  # an .npz name was never extended by older versions
    with pytest.raises(nn.StateDictError, match=r"^load: cannot read .* \(Is a directory\); "
                                                r"check the path$"):
        nn.load(tmp_path)


def test_a_list_checkpoint_loaded_into_a_model_is_named_without_keys(tmp_path):
    nn.save([np.zeros(2), 3], tmp_path / "l.npz")
    with pytest.raises(nn.StateDictError, match=r"the file holds a list, not a model's state "
                                                r"dict; read it"):
        nn.load(Forward(0), tmp_path / "l.npz")
