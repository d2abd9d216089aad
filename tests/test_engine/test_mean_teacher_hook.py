"""MeanTeacherHook against hand computations: the copy before training, the
update rule, UniMatch-V2's schedule, buffers, and resume."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from sar_mm.engine.hooks import MeanTeacherHook
from sar_mm.utils import UserInputError
from tests.utils import TINY_SEMI


@pytest.fixture
def model():
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(TINY_SEMI)).model
    cfg.semi_train_cfg = dict(ema_teacher=True)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def runner(model, iteration):
    return SimpleNamespace(model=model, iter=iteration)


def perturb(module, seed):
    """New random student weights and batch-norm statistics."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in list(module.parameters()) + list(module.buffers()):
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=gen))
            else:
                tensor.fill_(seed)


def test_copies_the_student_before_training_and_not_on_resume(model):
    hook = MeanTeacherHook()
    hook.before_train(runner(model, 0))
    assert model.teacher_synced
    for s, t in zip(model.student.state_dict().values(),
                    model.teacher.state_dict().values()):
        assert torch.equal(s, t)
    teacher = copy.deepcopy(model.teacher.state_dict())
    perturb(model.student, 3)
    hook.before_train(runner(model, 10))  # resumed: the teacher was loaded
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher[key])


def test_updates_follow_the_schedule_by_hand(model):
    hook = MeanTeacherHook(momentum=0.3)
    hook.before_train(runner(model, 0))
    expected = {
        k: v.clone().double()
        for k, v in model.teacher.state_dict().items()
    }
    for it in range(5):
        perturb(model.student, it + 1)
        hook.after_train_iter(runner(model, it), it)
        # m = max(1 / (t + 1), momentum): 1, 1/2, 1/3, then 0.3
        m = max(1 / (it + 1), 0.3)
        for key, value in model.student.state_dict().items():
            if value.is_floating_point():
                expected[key] = (1 - m) * expected[key] + m * value.double()
            else:
                expected[key] = value.double()
    for key, value in model.teacher.state_dict().items():
        torch.testing.assert_close(
            value.double(), expected[key], rtol=1e-5, atol=1e-6, msg=key)


def test_interval_and_skip_buffers(model):
    hook = MeanTeacherHook(momentum=0.5, interval=2, skip_buffers=True)
    hook.before_train(runner(model, 0))
    teacher = copy.deepcopy(model.teacher.state_dict())
    perturb(model.student, 7)
    hook.after_train_iter(runner(model, 0), 0)  # not an update iteration
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher[key])
    hook.after_train_iter(runner(model, 1), 1)  # m = max(1/2, 0.5)
    student = model.student.state_dict()
    params = {name for name, _ in model.teacher.named_parameters()}
    for key, value in model.teacher.state_dict().items():
        if key in params:
            torch.testing.assert_close(
                value, 0.5 * teacher[key] + 0.5 * student[key])
        else:
            assert torch.equal(value, teacher[key]), key


def test_refuses_a_model_without_teacher(model):
    model.teacher = None
    with pytest.raises(UserInputError, match='needs a model with an EMA '
                       'teacher'):
        MeanTeacherHook().before_train(runner(model, 0))


@pytest.mark.parametrize('kwargs', [dict(momentum=0), dict(interval=0)])
def test_refuses_bad_settings(kwargs):
    with pytest.raises(UserInputError):
        MeanTeacherHook(**kwargs)
