import pytest
import torch
from mmpretrain.registry import MODELS


def count_by_hand(depth, k, in_channels=3):
    """Parameters of WRN-depth-k (no classifier), layer by layer."""
    n = (depth - 4) // 6
    total = in_channels * 16 * 9  # stem
    width = 16
    for channels in (16 * k, 32 * k, 64 * k):
        for _ in range(n):
            total += 2 * width  # bn1
            total += width * channels * 9  # conv1
            total += 2 * channels + channels * channels * 9  # bn2, conv2
            if width != channels:
                total += width * channels  # 1x1 shortcut
            width = channels
    return total + 2 * width  # final BN


@pytest.mark.parametrize('depth,k', [(28, 2), (10, 1), (16, 4)])
def test_parameters_and_output(depth, k):
    model = MODELS.build(dict(type='WideResNet', depth=depth,
                              widen_factor=k))
    assert sum(p.numel() for p in model.parameters()) == count_by_hand(
        depth, k)
    out, = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 64 * k, 8, 8)
    assert model.out_channels == 64 * k


def test_wrn_28_2_is_fixmatchs_size():
    """1.47M parameters with a 10-class classifier, the size the FixMatch
    ports report (kekmodel/FixMatch-pytorch)."""
    model = MODELS.build(dict(type='WideResNet'))
    backbone = sum(p.numel() for p in model.parameters())
    assert backbone + 128 * 10 + 10 == 1_467_610
    assert [len(g) for g in model.groups] == [4, 4, 4]
    bn = model.groups[0][0].bn1
    assert bn.momentum == 0.001  # TF decay 0.999


def block_output_without_residual_branch(block, x):
    """The block's output when its residual branch is zero: its shortcut."""
    torch.nn.init.zeros_(block.conv2.weight)
    return block(x)


def test_first_block_shortcut_takes_the_activated_input():
    model = MODELS.build(dict(type='WideResNet', depth=10, widen_factor=1))
    model.eval()
    first, later = model.groups[0][0], model.groups[1][0]
    x = torch.randn(2, 16, 8, 8)
    # WRN-10-1: 16 -> 16 channels, an identity shortcut on lrelu(bn(x))
    assert first.shortcut is None
    expected = torch.nn.functional.leaky_relu(first.bn1(x), 0.1)
    torch.testing.assert_close(
        block_output_without_residual_branch(first, x), expected)
    # later groups: a strided 1x1 convolution of the raw input
    x = torch.randn(2, 16, 8, 8)
    torch.testing.assert_close(
        block_output_without_residual_branch(later, x), later.shortcut(x))
    assert later.shortcut.stride == (2, 2)


@pytest.mark.parametrize('kwargs,match', [
    (dict(depth=27), 'depth must be 6n \\+ 4'),
    (dict(depth=4), 'depth must be 6n \\+ 4'),
    (dict(widen_factor=0), 'widen_factor must be >= 1'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(type='WideResNet', **kwargs))
