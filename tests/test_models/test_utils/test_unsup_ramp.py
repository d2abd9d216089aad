"""The burn-in and warm-up of the unlabelled losses, by the iteration the
runner publishes."""
import pytest
from mmengine.logging import MessageHub

from sar_mm.models.utils import check_ramp, unsup_ramp
from sar_mm.utils import UserInputError


@pytest.fixture
def at_iter():
    hub = MessageHub.get_instance('test_unsup_ramp')
    MessageHub._instance_dict.move_to_end('test_unsup_ramp')

    def set_iter(i):
        hub.update_info('iter', i)

    yield set_iter
    hub.pop_info('iter')


def test_burn_in_then_linear_warm_up(at_iter):
    expected = {0: 0., 2: 0., 3: 0.25, 4: 0.5, 6: 1., 7: 1., 100: 1.}
    for i, factor in expected.items():
        at_iter(i)
        assert unsup_ramp(burn_in_iters=3, warmup_iters=4) == factor, i


def test_no_ramp_by_default(at_iter):
    at_iter(0)
    assert unsup_ramp(0, 0) == 1.
    at_iter(5)
    assert unsup_ramp(5, 0) == 1. and unsup_ramp(6, 0) == 0.


@pytest.mark.parametrize('burn_in,warmup', [(-1, 0), (0, 2.5), (True, 0),
                                            ('10', 0)])
def test_lengths_are_non_negative_ints(burn_in, warmup):
    with pytest.raises(UserInputError,
                       match=r'of Model must be an int >= 0 \(iterations\)'):
        check_ramp(burn_in, warmup, 'Model')
