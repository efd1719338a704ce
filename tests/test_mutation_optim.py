"""What mutation testing of micrograd/optim found untested (docs/testing.md#mutation-testing):
errors that must name the optimizer and the option at fault, clipping with empty gradients,
state dicts as snapshots, and the checks on a loaded optimizer or scheduler state."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd.errors import OptimizerError, StateDictError
from micrograd.optim import SGD, Adam, AdamW, RMSprop, clip_grad_norm_, lr_scheduler


def _p(values=(1.0, -2.0), grad=None):
    p = mg.tensor(np.array(values, dtype=np.float64), requires_grad=True)
    if grad is not None:
        p.grad = np.array(grad, dtype=np.float64)
    return p


BAD_OPTIONS = [
    (SGD, dict(momentum=1.5), r"^SGD: momentum must be in \[0, 1\)"),
    (SGD, dict(dampening="x"), r"^SGD: dampening must be a number"),
    (SGD, dict(nesterov="yes"), r"^SGD: nesterov must be True or False"),
    (Adam, dict(betas=(0.9, 1.0)), r"^Adam: betas\[1\] must be in \[0, 1\)"),
    (Adam, dict(betas=(-0.1, 0.9)), r"^Adam: betas\[0\] must be in \[0, 1\)"),
    (Adam, dict(eps=0.0), r"^Adam: eps must be a finite number > 0"),
    (Adam, dict(amsgrad=1), r"^Adam: amsgrad must be True or False"),
    (Adam, dict(decoupled_weight_decay="no"), r"^Adam: decoupled_weight_decay must be True or"),
    (AdamW, dict(betas=(1.0, 0.9)), r"^AdamW: betas\[0\] must be in \[0, 1\)"),
    (RMSprop, dict(alpha=1.0), r"^RMSprop: alpha must be in \[0, 1\)"),
    (RMSprop, dict(eps=-1.0), r"^RMSprop: eps must be a finite number > 0"),
    (RMSprop, dict(momentum=-0.1), r"^RMSprop: momentum must be in \[0, 1\)"),
    (RMSprop, dict(centered=None), r"^RMSprop: centered must be True or False"),
]


@pytest.mark.parametrize("cls, options, message", BAD_OPTIONS)
def test_a_bad_option_is_named_with_its_optimizer(cls, options, message):
    with pytest.raises(OptimizerError, match=message):
        cls([_p()], **options)


def test_adamw_refuses_a_state_dict_without_decoupled_decay_and_names_the_fix():
    saved = Adam([_p()], lr=0.1, weight_decay=0.1).state_dict()
    opt = AdamW([_p()])
    with pytest.raises(StateDictError, match="AdamW always decouples its weight decay; for L2 "
                                             "weight decay use Adam$"):
        opt.load_state_dict(saved)


def test_adamw_default_weight_decay_is_pytorchs():
    assert AdamW([_p()]).defaults["weight_decay"] == 0.01


BAD_CLIPS = [
    (dict(max_norm=0.0), r"^clip_grad_norm_: max_norm must be a finite number > 0"),
    (dict(max_norm=1.0, norm_type="2"), r"^clip_grad_norm_: norm_type must be a number"),
    (dict(max_norm=1.0, error_if_nonfinite="yes"),
     r"^clip_grad_norm_: error_if_nonfinite must be True or False"),
]


@pytest.mark.parametrize("options, message", BAD_CLIPS)
def test_bad_clip_arguments_are_named(options, message):
    with pytest.raises(OptimizerError, match=message):
        clip_grad_norm_([_p(grad=[1.0, 1.0])], **options)


def test_clip_of_a_string_names_clip_grad_norm():
    with pytest.raises(OptimizerError, match=r"^clip_grad_norm_: params must be an iterable"):
        clip_grad_norm_("weights", 1.0)


def test_a_nonfinite_total_names_where_to_look():
    p = _p(grad=[np.inf, 1.0])
    with pytest.raises(OptimizerError, match=r"find where the nan/inf comes from "
                                             r"\(micrograd.detect_anomaly\(\)\)$"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_an_empty_gradient_adds_nothing_to_the_total(norm_type):
    empty = mg.tensor(np.zeros((0, 3)), requires_grad=True)
    empty.grad = np.zeros((0, 3))
    p = _p(grad=[3.0, -4.0])
    want = np.linalg.norm([3.0, -4.0], ord=norm_type)
    assert clip_grad_norm_([empty, p], 100.0, norm_type=norm_type) == pytest.approx(want)


# -- state dicts ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls, options", [(SGD, dict(lr=0.1, momentum=0.9)),
                                          (Adam, dict(lr=0.1, amsgrad=True)),
                                          (RMSprop, dict(momentum=0.5, centered=True))])
def test_a_state_dict_is_a_snapshot_that_later_steps_leave_alone(cls, options):
    p = _p(grad=[0.5, -1.0])
    opt = cls([p], **options)
    opt.step()
    saved = opt.state_dict()
    frozen = {k: np.array(v, copy=True) for k, v in saved["state"][0].items()
              if isinstance(v, np.ndarray)}
    assert frozen
    for _ in range(3):
        opt.step()
    for k, v in frozen.items():
        np.testing.assert_array_equal(saved["state"][0][k], v, err_msg=k)


def _adam_state(**entry):
    opt = Adam([_p(grad=[1.0, 1.0])], amsgrad=True)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0].update(entry)
    return saved


@pytest.mark.parametrize("step", [0, 2, 7.0, np.float64(3.0)])
def test_a_whole_step_count_loads(step):
    opt = Adam([_p()], amsgrad=True)
    opt.load_state_dict(_adam_state(step=step))
    assert opt.state[opt.params[0]]["step"] == int(step)


@pytest.mark.parametrize("step", [-1, 2.5, float("nan"), "3", np.array([1, 2])])
def test_a_bad_step_count_is_refused_naming_the_parameter(step):
    opt = Adam([_p()], amsgrad=True)
    with pytest.raises(StateDictError, match=r"^Adam.load_state_dict \(parameter 0\): step must "
                                             r"be a whole number >= 0"):
        opt.load_state_dict(_adam_state(step=step))


@pytest.mark.parametrize("cls, options, key", [
    (Adam, dict(amsgrad=True), "max_exp_avg_sq"),
    (RMSprop, dict(momentum=0.5), "momentum_buffer"),
    (RMSprop, dict(centered=True), "grad_avg"),
])
def test_state_missing_what_the_options_need_is_refused(cls, options, key):
    opt = cls([_p(grad=[1.0, 2.0])], **options)
    opt.step()
    saved = opt.state_dict()
    del saved["state"][0][key]
    fresh = cls([_p()], **options)
    with pytest.raises(StateDictError, match=rf"the state has no {key}; {cls.__name__} with "
                                             "these options keeps"):
        fresh.load_state_dict(saved)


def test_rmsprop_without_momentum_or_centering_needs_only_its_square_average():
    opt = RMSprop([_p(grad=[1.0, 2.0])])
    opt.step()
    saved = opt.state_dict()
    assert sorted(saved["state"][0]) == ["square_avg", "step"]
    RMSprop([_p()]).load_state_dict(saved)  # no momentum_buffer or grad_avg asked for


BAD_LOADS = [
    (lambda sd: sd["param_groups"].__setitem__(0, ["not", "a", "dict"]),
     r"^SGD.load_state_dict \(param group 0\): a param group must be a dict"),
    (lambda sd: sd["param_groups"][0].__setitem__("params", [0, 0]),
     r"^SGD.load_state_dict \(param group 0\): parameter index 0 is not an integer or is "
     r"listed twice"),
    (lambda sd: sd["param_groups"][0].__setitem__("params", [True, 1]),
     r"parameter index True is not an integer"),
    (lambda sd: sd.__setitem__("state", [1, 2]),
     r"^SGD.load_state_dict: 'state' must be a dict of index -> dict, got a list"),
    (lambda sd: sd["state"].update({True: sd["state"].pop(1)}),
     r"^SGD.load_state_dict: the state has an entry for parameter True"),
    (lambda sd: sd["state"].__setitem__(0, [1.0]),
     r"^SGD.load_state_dict \(parameter 0\): the state must be a dict, got a list"),
    (lambda sd: sd["param_groups"][0].__setitem__("foreach", True),
     r"foreach=True is a PyTorch implementation option"),
    (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])),
     r"^SGD.load_state_dict: the state dict has 2 param groups, this optimizer 1; build the "
     r"optimizer with the same groups$"),
    (lambda sd: sd["param_groups"][0].__setitem__("params", [0]),
     r"the saved group has 1 parameters, this optimizer's 2; the optimizer must be built over "
     r"the same parameters$"),
]


@pytest.mark.parametrize("spoil, message", BAD_LOADS)
def test_a_state_dict_that_does_not_fit_is_refused_and_named(spoil, message):
    params = [_p(grad=[1.0, 2.0]), _p(grad=[0.5, 0.5])]
    opt = SGD(params, lr=0.1, momentum=0.9)
    opt.step()
    saved = opt.state_dict()
    spoil(saved)
    fresh = SGD([_p(), _p()], lr=0.1, momentum=0.9)
    with pytest.raises(StateDictError, match=message):
        fresh.load_state_dict(saved)
    assert not fresh.state  # nothing was taken


def test_torchs_inert_implementation_options_load():
    opt = SGD([_p(grad=[1.0, 1.0])], lr=0.1)
    saved = opt.state_dict()
    saved["param_groups"][0].update(foreach=None, fused=False, capturable=False,
                                    differentiable=False)
    SGD([_p()], lr=0.5).load_state_dict(saved)


@pytest.mark.parametrize("inert", [np.False_, 0])
def test_inert_options_that_went_through_numpy_or_json_still_load(inert):
    """A state dict written out and read back holds np.False_ or 0 for False: equal, not
    identical, and still inert."""
    saved = SGD([_p()], lr=0.1).state_dict()
    saved["param_groups"][0].update(foreach=inert, differentiable=inert)
    SGD([_p()], lr=0.5).load_state_dict(saved)


def test_a_state_dict_loaded_is_copied_in():
    opt = SGD([_p(grad=[1.0, 2.0])], lr=0.1, momentum=0.9)
    opt.step()
    saved = opt.state_dict()
    fresh = SGD([_p()], lr=0.1, momentum=0.9)
    fresh.load_state_dict(saved)
    saved["state"][0]["momentum_buffer"][...] = 42.0
    np.testing.assert_array_equal(fresh.state[fresh.params[0]]["momentum_buffer"], [1.0, 2.0])


def test_the_optimizer_repr_lists_each_groups_options_but_not_its_params():
    text = repr(SGD([{"params": [_p()]}, {"params": [_p()], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and text.endswith("\n)")
    assert "    lr: 0.5" in text and "params" not in text


def test_a_bad_parameter_is_named_by_its_name_or_shape():
    named = mg.tensor([1.0], name="w")  # requires_grad=False: refused
    with pytest.raises(OptimizerError, match=r"parameter 0 \(w\) must be a leaf"):
        SGD([named])
    with pytest.raises(OptimizerError, match=r"parameter 0 \(shape \(2,\)\) must be a leaf"):
        SGD([mg.tensor([1.0, 2.0])])
    with pytest.raises(OptimizerError, match=r"parameter 1 \(list\) must be a leaf"):
        SGD([_p(), [1.0]])


# -- schedulers ----------------------------------------------------------------------------

def _opt():
    return SGD([_p()], lr=0.1)


BAD_SCHEDULERS = [
    (lambda: lr_scheduler.StepLR(_opt(), step_size=0), r"^StepLR: step_size must be an integer"),
    (lambda: lr_scheduler.StepLR(_opt(), step_size=2, gamma=0.0), r"^StepLR: gamma must be"),
    (lambda: lr_scheduler.StepLR(_opt(), step_size=2, last_epoch=-2),
     r"^StepLR: last_epoch must be an integer >= -1"),
    (lambda: lr_scheduler.ExponentialLR(_opt(), gamma=-1.0), r"^ExponentialLR: gamma must be"),
    (lambda: lr_scheduler.CosineAnnealingLR(_opt(), T_max=0),
     r"^CosineAnnealingLR: T_max must be an integer >= 1"),
    (lambda: lr_scheduler.CosineAnnealingLR(_opt(), T_max=3, eta_min=-1.0),
     r"^CosineAnnealingLR: eta_min must be"),
    (lambda: lr_scheduler.StepLR("opt", step_size=2), r"^StepLR: expected a micrograd.optim "
                                                      r"Optimizer, got a str$"),
]


@pytest.mark.parametrize("make, message", BAD_SCHEDULERS)
def test_a_bad_scheduler_argument_is_named_with_its_scheduler(make, message):
    with pytest.raises(OptimizerError, match=message):
        make()


BAD_SCHEDULER_STATES = [
    (lambda sd: sd.update(last_epoch=-2), r"last_epoch must be an integer >= -1"),
    (lambda sd: sd.update(last_epoch=-1), None),  # -1 is the least allowed
    (lambda sd: sd.update(_step_count=-1), r"_step_count must be an integer >= 0"),
    (lambda sd: sd.update(_step_count=0), None),
    (lambda sd: sd.update(base_lrs=[-0.1]), r"base_lrs must be a finite number >= 0"),
    (lambda sd: sd.update(gamma=0.0), r"gamma must be a finite number > 0"),
    (lambda sd: sd.pop("gamma"), r"the keys do not fit a StepLR: missing \['gamma'\], unknown "
                                 r"none"),
]


@pytest.mark.parametrize("spoil, message", BAD_SCHEDULER_STATES)
def test_a_scheduler_state_is_checked_before_it_loads(spoil, message):
    sched = lr_scheduler.StepLR(_opt(), step_size=2, gamma=0.5)
    sched.step()
    saved = sched.state_dict()
    spoil(saved)
    fresh = lr_scheduler.StepLR(_opt(), step_size=3, gamma=0.9)
    if message is None:
        fresh.load_state_dict(saved)
        assert (fresh.last_epoch, fresh._step_count) == (saved["last_epoch"],
                                                         saved["_step_count"])
        return
    with pytest.raises(StateDictError, match=r"^StepLR.load_state_dict: " + message):
        fresh.load_state_dict(saved)
    assert (fresh.step_size, fresh.gamma, fresh.last_epoch) == (3, 0.9, 0)


def test_a_scheduler_state_that_is_not_a_dict_is_named():
    with pytest.raises(StateDictError, match=r"^ExponentialLR.load_state_dict: expected a dict "
                                             r"\(what state_dict\(\) returns\), got a list$"):
        lr_scheduler.ExponentialLR(_opt(), gamma=0.5).load_state_dict([1])


def test_scheduler_step_counts_one_per_step():
    sched = lr_scheduler.ExponentialLR(_opt(), gamma=0.5)
    assert (sched._step_count, sched.last_epoch) == (1, 0)
    sched.step()
    sched.step()
    assert (sched._step_count, sched.last_epoch) == (3, 2)
    assert sched.get_last_lr() == [0.025]


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop])
def test_defaults_are_pytorchs(cls):
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    theirs = getattr(torch.optim, cls.__name__)([torch.zeros(1, requires_grad=True)]).defaults
    ours = cls([_p()]).defaults
    for name, value in ours.items():
        assert theirs[name] == value, name


@pytest.mark.parametrize("cls, options", [(SGD, dict(lr=0.1, momentum=0.9)),
                                          (Adam, dict(amsgrad=True)),
                                          (RMSprop, dict(momentum=0.5, centered=True))])
def test_state_keeps_the_parameters_dtype_when_the_gradient_is_wider(cls, options):
    p = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    p.grad = np.array([0.5, -0.25], dtype=np.float64)
    opt = cls([p], **options)
    opt.step()
    opt.step()
    assert p.dtype == np.float32
    for key, value in opt.state[p].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key


# -- what a second mutation run of optim still found -----------------------------------------

def test_step_counts_its_calls_and_returns_none_without_a_closure():
    opt = SGD([_p(grad=[1.0, 1.0])], lr=0.1)
    assert [opt.step() for _ in range(3)] == [None, None, None]
    assert opt.steps == 3


def test_options_changed_between_steps_are_checked_again():
    opt = SGD([_p(grad=[1.0, 1.0])], lr=0.1)
    opt.step()
    opt.param_groups[0]["lr"] = 0.0  # a schedule may anneal to 0: allowed after the start
    opt.step()
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(OptimizerError, match=r"^SGD.step \(param group 0\): lr \(the learning "
                                             r"rate\) must be a finite number >= 0"):
        opt.step()


def test_a_gradient_of_the_wrong_shape_names_both_shapes_and_the_fix():
    p = _p()
    p.grad = np.ones(3)
    with pytest.raises(OptimizerError, match=r"^SGD.step: a parameter has shape \(2,\) but its "
                                             r"\.grad has shape \(3,\); set \.grad to an array "
                                             r"of the parameter's shape$"):
        SGD([p], lr=0.1).step()


def test_a_recorded_gradient_steps_with_its_values():
    p = _p([1.0, 2.0])
    (p * p).sum().backward(create_graph=True)  # p.grad is a Tensor holding 2p
    assert isinstance(p.grad, mg.Tensor)
    SGD([p], lr=0.25).step()
    np.testing.assert_allclose(p.data, [0.5, 1.0])


def test_a_recorded_gradient_steps_adam_like_its_values():
    """Adam keeps running averages of g: built from a recorded .grad they must be arrays."""
    p, q = _p([1.0, 2.0]), _p([1.0, 2.0])
    (p * p).sum().backward(create_graph=True)
    q.grad = 2 * q.data
    Adam([p], lr=0.1).step()
    Adam([q], lr=0.1).step()
    np.testing.assert_allclose(p.data, q.data)


def test_the_first_group_is_named_by_the_optimizer_alone():
    with pytest.raises(OptimizerError, match=r"^SGD: parameter 0 \(w\) must be a leaf"):
        SGD([mg.tensor([1.0], name="w")])
    with pytest.raises(OptimizerError, match=r"^SGD \(param group 1\): parameter 1 "):
        SGD([{"params": [_p()]}, {"params": [mg.tensor([1.0])]}])


def test_a_state_dicts_step_is_a_plain_int():
    opt = Adam([_p(grad=[1.0, 1.0])])
    opt.step()
    step = opt.state_dict()["state"][0]["step"]
    assert type(step) is int and step == 1


@pytest.mark.parametrize("bad, got", [(["a", "b"], r"got a list$"),
                                      ({"state": {}, "groups": []}, r"got keys \['groups', "
                                                                    r"'state'\]$")])
def test_a_state_dict_of_the_wrong_kind_says_what_it_got(bad, got):
    with pytest.raises(StateDictError, match=r"^SGD.load_state_dict: expected a dict with keys "
                                             r"'param_groups' and 'state' \(what "
                                             r"optimizer.state_dict\(\) returns\), " + got):
        SGD([_p()], lr=0.1).load_state_dict(bad)


def test_param_groups_that_are_not_a_list_are_shown_as_they_are():
    with pytest.raises(StateDictError, match=r"the state dict has \{'a': 1\} param groups, this "
                                             r"optimizer 1"):
        SGD([_p()], lr=0.1).load_state_dict({"state": {}, "param_groups": {"a": 1}})


def _saved_sgd():
    opt = SGD([_p(grad=[1.0, 2.0])], lr=0.1, momentum=0.9)
    opt.step()
    return opt.state_dict()


def test_a_group_without_a_params_list_is_refused_in_full():
    saved = _saved_sgd()
    saved["param_groups"][0]["params"] = "0"
    with pytest.raises(StateDictError, match=r"^SGD.load_state_dict \(param group 0\): a param "
                                             r"group must be a dict with a 'params' list of "
                                             r"indices$"):
        SGD([_p()], lr=0.1, momentum=0.9).load_state_dict(saved)


def test_missing_and_bad_group_options_are_named_with_their_group():
    saved = _saved_sgd()
    del saved["param_groups"][0]["momentum"], saved["param_groups"][0]["nesterov"]
    with pytest.raises(StateDictError, match=r"^SGD.load_state_dict \(param group 0\): the saved "
                                             r"group lacks the option\(s\) momentum, nesterov$"):
        SGD([_p()], lr=0.1, momentum=0.9).load_state_dict(saved)
    saved = _saved_sgd()
    saved["param_groups"][0]["lr"] = -0.5
    with pytest.raises(StateDictError, match=r"^SGD.load_state_dict \(param group 0\): lr"):
        SGD([_p()], lr=0.1, momentum=0.9).load_state_dict(saved)


def test_state_problems_are_listed_together_with_what_is_kept():
    saved = _saved_sgd()
    saved["state"][0] = {"exp_avg": np.zeros(2), "step": 1}
    with pytest.raises(StateDictError, match=r"the state has the unknown key\(s\) exp_avg, step "
                                             r"and no momentum_buffer; SGD with these options "
                                             r"keeps momentum_buffer$"):
        SGD([_p()], lr=0.1, momentum=0.9).load_state_dict(saved)
    plain = SGD([_p(grad=[1.0, 1.0])], lr=0.1).state_dict()
    plain["state"][0] = {"square_avg": np.zeros(2)}
    with pytest.raises(StateDictError, match=r"keeps no state$"):
        SGD([_p()], lr=0.1).load_state_dict(plain)
    adam = _adam_state()
    del adam["state"][0]["exp_avg"], adam["state"][0]["exp_avg_sq"]
    with pytest.raises(StateDictError, match=r"no exp_avg, exp_avg_sq; Adam with these options "
                                             r"keeps step, exp_avg, exp_avg_sq, max_exp_avg_sq$"):
        Adam([_p()], amsgrad=True).load_state_dict(adam)


def test_state_saved_as_lists_loads():
    saved = _saved_sgd()
    saved["state"][0]["momentum_buffer"] = [1.0, 2.0]  # e.g. from JSON
    opt = SGD([_p()], lr=0.1, momentum=0.9)
    opt.load_state_dict(saved)
    np.testing.assert_array_equal(opt.state[opt.params[0]]["momentum_buffer"], [1.0, 2.0])


def test_a_scheduler_needs_initial_lr_to_resume_and_says_how_to_get_it():
    with pytest.raises(OptimizerError, match=r"^ExponentialLR: resuming at last_epoch=3 needs "
                                             r"'initial_lr' in param group 0, which a scheduler "
                                             r"sets; load the optimizer's state dict first, or "
                                             r"start with last_epoch=-1$"):
        lr_scheduler.ExponentialLR(_opt(), gamma=0.5, last_epoch=3)


def test_a_scheduler_state_with_torchs_flags_loads_and_other_false_values_count():
    sched = lr_scheduler.StepLR(_opt(), step_size=2, gamma=0.5)
    saved = sched.state_dict()
    saved.update(_is_initial=False, _get_lr_called_within_step=False)
    lr_scheduler.StepLR(_opt(), step_size=2).load_state_dict(saved)
    saved = sched.state_dict()
    saved["extra"] = False
    with pytest.raises(StateDictError, match=r"missing none, unknown \['extra'\]$"):
        lr_scheduler.StepLR(_opt(), step_size=2).load_state_dict(saved)


def test_the_last_lr_is_known_from_the_start():
    sched = lr_scheduler.StepLR(SGD([_p()], lr=0.2), step_size=2)
    assert sched.get_last_lr() == [0.2]
    assert sched._initial is False



# -- the checks of a new optimizer and its groups, message by message ------------------------

def test_constructor_errors_name_the_optimizer_and_the_fix():
    p = _p()
    cases = [
        (lambda: Adam([p], eps="x"), r"^Adam: eps must be a number, got 'x'$"),
        (lambda: SGD([{"params": [p], "lr": 0.0}], lr=0.1),
         r"^SGD: lr \(the learning rate\) must be a finite number > 0, got 0.0$"),
        (lambda: SGD("abc"), r"^SGD: params must be an iterable of Tensors or a Module"),
        (lambda: SGD([]), r"^SGD: optimizer got an empty parameter list; pass model.parameters\(\) "
                          r"\(are all of the model's parameters frozen\?\)$"),
        (lambda: SGD([p, {"params": [p]}]), r"^SGD: params must be all Tensors or all dicts "
                                            r"\(param groups such as \{'params': \[w\], 'lr': "
                                            r"0.1\}\), not a mix$"),
        (lambda: SGD([{"params": [p], "foo": 1, "bar": 2}], lr=0.1),
         r"^SGD: unknown option\(s\) 'foo', 'bar'; SGD takes lr, momentum, dampening, "
         r"weight_decay, nesterov, maximize$"),
        (lambda: SGD([{"params": [p], "initial_lr": "x"}], lr=0.1),
         r"^SGD: initial_lr must be a number, got 'x'$"),
        (lambda: SGD([{"params": [p], "initial_lr": 0.0}], lr=0.1),
         r"^SGD: initial_lr must be a finite number > 0"),
        (lambda: SGD([p], lr=0.1, maximize="yes"), r"^SGD: maximize must be True or False, got "
                                                   r"'yes'$"),
        (lambda: SGD([mg.tensor([1.0], name="w")]),
         r"^SGD: parameter 0 \(w\) must be a leaf Tensor with requires_grad=True$"),
        (lambda: SGD([p, p]), r"^SGD: parameter 1 \(shape \(2,\)\) is the same tensor as "
                              r"parameter 0; list each tensor once$"),
        (lambda: SGD([{"params": [p]}, {"params": [_p(), p]}]),
         r"^SGD \(param group 1\): parameter 2 \(shape \(2,\)\) is the same tensor as parameter 0 "
         r"of param group 0; list each tensor once$"),
    ]
    for make, message in cases:
        with pytest.raises(OptimizerError, match=message):
            make()


def test_add_param_group_errors_name_the_new_group():
    opt = SGD([_p()], lr=0.1)
    cases = [
        ([_p()], r"^SGD \(param group 1\): a param group must be a dict such as \{'params': "
                 r"\[w\], 'lr': 0.1\}, got a list$"),
        ({"lr": 0.1}, r"^SGD \(param group 1\): the param group has no 'params' key; write "
                      r"\{'params': tensors, 'lr': ...\}$"),
        ({"params": "abc"}, r"^SGD \(param group 1\): params must be an iterable"),
        ({"params": []}, r"^SGD \(param group 1\): optimizer got an empty parameter list; pass "
                         r"model.parameters\(\) \(are all of the model's parameters frozen\?\)$"),
    ]
    for group, message in cases:
        with pytest.raises(OptimizerError, match=message):
            opt.add_param_group(group)
    assert len(opt.param_groups) == 1


def test_a_single_dict_is_one_param_group_and_initial_lr_is_kept():
    p = _p(grad=[1.0, 1.0])
    opt = SGD({"params": [p], "lr": 0.5, "initial_lr": 0.25})
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["initial_lr"] == 0.25


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_a_default_lr_of_0_is_refused_even_when_every_group_sets_its_own(cls):
    # PyTorch accepts it; here a group added later without its own lr would take the 0 and
    # train nothing, without a word, so the default is refused when it is given.
    p, q = (mg.tensor([1.0], requires_grad=True) for _ in range(2))
    with pytest.raises(OptimizerError, match=rf"^{cls.__name__}: lr \(the learning rate\) must "
                                             r"be a finite number > 0, got 0$"):
        cls([{"params": [p], "lr": 0.1}], lr=0)
    opt = cls([{"params": [p], "lr": 0.1}], lr=0.01)
    opt.add_param_group({"params": [q]})
    assert opt.param_groups[1]["lr"] == 0.01
