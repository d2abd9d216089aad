import math

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmpretrain.registry import PARAM_SCHEDULERS

from sar_mm.engine.schedulers import FixMatchCosineLR


def optimizer(lr=0.03):
    return OptimWrapper(
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr))


def run(scheduler, wrapper, steps):
    lrs = []
    for _ in range(steps):
        lrs.append(wrapper.get_lr()['lr'][0])
        wrapper.step()
        scheduler.step()
    return lrs


def test_fixmatchs_decay_by_hand():
    wrapper = optimizer()
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='FixMatchCosineLR', end=16),
        default_args=dict(optimizer=wrapper))
    assert isinstance(scheduler, FixMatchCosineLR)
    lrs = run(scheduler, wrapper, 16)
    expected = [0.03 * math.cos(7 * math.pi * k / (16 * 16)) for k in
                range(16)]
    assert lrs == pytest.approx(expected)
    # it ends at cos(7 pi / 16) of the start, not at 0
    assert lrs[-1] > 0.03 * math.cos(7 * math.pi / 16) > 0.005


def test_resumes_from_its_state():
    """As mmengine resumes: schedulers built, then the optimizer's state
    loaded, then theirs."""
    straight_wrapper = optimizer()
    straight = run(FixMatchCosineLR(straight_wrapper, end=10),
                   straight_wrapper, 10)
    wrapper = optimizer()
    scheduler = FixMatchCosineLR(wrapper, end=10)
    first = run(scheduler, wrapper, 4)
    resumed_wrapper = optimizer()
    resumed = FixMatchCosineLR(resumed_wrapper, end=10)
    resumed_wrapper.load_state_dict(wrapper.state_dict())
    resumed.load_state_dict(scheduler.state_dict())
    assert first + run(resumed, resumed_wrapper, 6) == pytest.approx(
        straight)


@pytest.mark.parametrize('kwargs,match', [
    (dict(), 'needs end'),
    (dict(end=10, cycles=0), r'cycles must be in \(0, 1\]'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FixMatchCosineLR(optimizer(), **kwargs)
