import pytest
import torch
from torch import nn

from sar_mm.models.utils import eval_mode, running_stats_frozen


def test_batch_statistics_without_touching_the_running_ones():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4),
                          nn.BatchNorm1d(4, track_running_stats=False))
    model[1].running_mean.uniform_()
    before = {k: v.clone() for k, v in model[1].state_dict().items()}
    x = torch.randn(5, 3, 6, 6)
    with running_stats_frozen(model):
        out = model[1](model[0](x))
    for key, value in model[1].state_dict().items():
        assert torch.equal(value, before[key]), key
    # normalised with the batch's own mean and (biased) variance
    h = model[0](x)
    mean = h.mean((0, 2, 3), keepdim=True)
    var = h.var((0, 2, 3), unbiased=False, keepdim=True)
    torch.testing.assert_close(out, (h - mean) / (var + 1e-5).sqrt())
    # outside the context the statistics move again; the flags are back
    model[1](h)
    assert not torch.equal(model[1].running_mean, before['running_mean'])
    assert model[1].num_batches_tracked.item() == 1
    assert model[1].track_running_stats
    assert not model[2].track_running_stats


def test_flags_come_back_after_an_error():
    norm = nn.BatchNorm2d(2)
    with pytest.raises(RuntimeError):
        with running_stats_frozen(norm):
            assert not norm.track_running_stats
            norm(torch.randn(2, 3, 4, 4))  # 3 channels for 2: an error
    assert norm.track_running_stats


def test_eval_mode_for_one_pass_and_each_mode_back():
    """Dropout off inside; every module back in its own mode on exit,
    also after an error."""
    torch.manual_seed(0)
    train, frozen = nn.Dropout(0.5), nn.Dropout(0.5).eval()
    x = torch.ones(100)
    with eval_mode(train, frozen):
        assert torch.equal(train(x), x)
    assert train.training and not frozen.training
    assert not torch.equal(train(x), x)
    with pytest.raises(RuntimeError):
        with eval_mode(train):
            raise RuntimeError('in the pass')
    assert train.training
