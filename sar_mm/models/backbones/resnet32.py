from typing import Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from torch import Tensor


class _BasicBlock(nn.Module):
    """3x3-3x3 residual block with a parameter-free ("option A") shortcut:
    stride-2 subsampling and zero channels where the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 norm_cfg: dict):
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.stride = stride
        self.extra_channels = out_channels - in_channels

    def shortcut(self, x: Tensor) -> Tensor:
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.extra_channels:
            half = self.extra_channels // 2
            x = F.pad(x, (0, 0, 0, 0, half, self.extra_channels - half))
        return x

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


@MODELS.register_module()
class ResNet32(BaseBackbone):
    """ResNet-32 for 32x32 images, the backbone of the CIFAR-LT literature.

    He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
    section 4.2 (6n+2 layers, n = 5); the long-tailed recipes use it as
    LDAM-DRW's ``models/resnet_cifar.py`` (restated from the copy in
    ``ProCo_cifar/models/resnet_cifar.py`` of github.com/LeapLabTHU/ProCo):
    a 3x3 stem with 16 channels, then 3 stages of 5 basic blocks with
    16/32/64 channels, strides 1/2/2 and parameter-free ("option A")
    shortcuts; 0.46M parameters. mmpretrain's ``ResNet_CIFAR`` is the
    ImageNet-style 4-stage family (ResNet-18 and up) instead.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages (0..2) whose output is
            returned. Defaults to (2, ), the 64-channel 8x8 map.
        norm_cfg (dict): Normalisation layers. Defaults to ``BN``.
        init_cfg (dict | list[dict]): Defaults to Kaiming-normal (fan-in)
            convolutions as the reference, BN weights 1 and biases 0.
    """

    stage_channels = (16, 32, 64)
    blocks_per_stage = 5

    def __init__(self,
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=[
                     dict(type='Kaiming', layer='Conv2d', mode='fan_in'),
                     dict(type='Constant', val=1, layer='_BatchNorm')
                 ]):
        super().__init__(init_cfg=init_cfg)
        if not set(out_indices) <= {0, 1, 2}:
            raise ValueError(
                f'out_indices must be among stages 0, 1, 2, got '
                f'{out_indices}')
        self.out_indices = tuple(out_indices)
        width = self.stage_channels[0]
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
            build_norm_layer(norm_cfg, width)[1], nn.ReLU(inplace=True))
        self.stages = nn.ModuleList()
        for i, channels in enumerate(self.stage_channels):
            blocks = []
            for j in range(self.blocks_per_stage):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(_BasicBlock(width, channels, stride, norm_cfg))
                width = channels
            self.stages.append(nn.Sequential(*blocks))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
