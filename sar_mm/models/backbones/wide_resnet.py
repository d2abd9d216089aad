from typing import Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from torch import Tensor


class _WideBasicBlock(nn.Module):
    """Pre-activation 3x3-3x3 block: BN-LReLU-conv-BN-LReLU-conv plus a
    shortcut, a 1x1 convolution where the width changes.

    The shortcut takes the raw input, or the activated one in the first
    block of the network (``activate_before_residual``), as in the FixMatch
    reference.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 activate_before_residual: bool, negative_slope: float,
                 drop_rate: float, norm_cfg: dict):
        super().__init__()
        self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.shortcut = nn.Conv2d(
            in_channels, out_channels, 1, stride, bias=False
        ) if in_channels != out_channels else None
        self.activate_before_residual = activate_before_residual
        self.negative_slope = negative_slope
        self.drop_rate = drop_rate

    def forward(self, x: Tensor) -> Tensor:
        act = F.leaky_relu(self.bn1(x), self.negative_slope)
        out = F.leaky_relu(
            self.bn2(self.conv1(act)), self.negative_slope)
        out = F.dropout(out, self.drop_rate, self.training)
        out = self.conv2(out)
        identity = act if self.activate_before_residual else x
        if self.shortcut is not None:
            identity = self.shortcut(identity)
        return identity + out


@MODELS.register_module()
class WideResNet(BaseBackbone):
    """Wide residual network WRN-d-k for 32x32 images, FixMatch's backbone.

    Zagoruyko and Komodakis, "Wide Residual Networks", BMVC 2016
    (https://arxiv.org/abs/1605.07146), in the variant of Sohn et al.,
    "FixMatch", NeurIPS 2020 (https://arxiv.org/abs/2001.07685), restated
    from ``libml/models.py`` (``residual`` and the ResNet model) of
    github.com/google-research/fixmatch: a 3x3 stem with 16 channels, then
    3 groups of ``(depth - 4) / 6`` pre-activation blocks of widths
    16k / 32k / 64k with strides 1 / 2 / 2, leaky ReLU (slope 0.1) and a
    final BN-LReLU; batch-norm statistics move slowly (TF decay 0.999, i.e.
    PyTorch momentum 0.001) as in the reference's 2^20-iteration schedule.
    WRN-28-2 (1.47M parameters with a 10-class classifier) serves CIFAR-10,
    WRN-28-8 CIFAR-100.

    Args:
        depth (int): Number of layers d, ``6n + 4``. Defaults to 28.
        widen_factor (int): Width multiplier k. Defaults to 2.
        in_channels (int): Input image channels. Defaults to 3.
        drop_rate (float): Dropout between the two convolutions of every
            block. Defaults to 0 (FixMatch).
        negative_slope (float): Slope of the leaky ReLUs. Defaults to 0.1.
        norm_cfg (dict): Normalisation layers. Defaults to
            ``dict(type='BN', momentum=0.001)``.
        init_cfg (dict | list[dict]): Defaults to Kaiming-normal (fan-out)
            convolutions as the reference, BN weights 1 and biases 0.
    """

    def __init__(self,
                 depth: int = 28,
                 widen_factor: int = 2,
                 in_channels: int = 3,
                 drop_rate: float = 0.,
                 negative_slope: float = 0.1,
                 norm_cfg: dict = dict(type='BN', momentum=0.001),
                 init_cfg=[
                     dict(type='Kaiming', layer='Conv2d', mode='fan_out'),
                     dict(type='Constant', val=1, layer='_BatchNorm')
                 ]):
        super().__init__(init_cfg=init_cfg)
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(
                f'WideResNet depth must be 6n + 4 with n >= 1 (10, 16, 22, '
                f'28, ...), got {depth}')
        if widen_factor < 1:
            raise ValueError(
                f'widen_factor must be >= 1, got {widen_factor}')
        blocks_per_group = (depth - 4) // 6
        widths = [16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.out_channels = widths[-1]
        self.negative_slope = negative_slope
        self.stem = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.groups = nn.ModuleList()
        width = 16
        for i, channels in enumerate(widths):
            blocks = []
            for j in range(blocks_per_group):
                blocks.append(
                    _WideBasicBlock(
                        width,
                        channels,
                        stride=2 if i > 0 and j == 0 else 1,
                        activate_before_residual=i == 0 and j == 0,
                        negative_slope=negative_slope,
                        drop_rate=drop_rate,
                        norm_cfg=norm_cfg))
                width = channels
            self.groups.append(nn.Sequential(*blocks))
        self.bn = build_norm_layer(norm_cfg, width)[1]

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        x = self.stem(x)
        for group in self.groups:
            x = group(x)
        return (F.leaky_relu(self.bn(x), self.negative_slope), )
