"""What SAR needs from a decode head: its classifier and what it reads.

Every mmseg decode head computes its logits with ``cls_seg(feat)``, which
applies the head's dropout and its 1x1 ``conv_seg``. SAR pulls ``feat``
(before dropout) towards the anchors and sends the anchors through
``conv_seg``, which is why it needs no per-head subclass.
"""
from contextlib import contextmanager
from typing import Callable, Iterator, List, Optional

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor, nn

from ...utils.errors import UserInputError
from .builder import build_sar
from .semantic_anchor_loss import SemanticAnchorLoss

PIXEL_HEADS = 'FCN, PSP, ASPP, UPer, SegFormer, OCR and most mmseg heads'


@contextmanager
def capture_classifier_input(head: nn.Module) -> Iterator[List[Tensor]]:
    """Record what a decode head hands to ``cls_seg`` inside the block.

    ``cls_seg`` is wrapped rather than ``conv_seg`` hooked: a forward
    pre-hook on ``conv_seg`` would see the features after dropout.
    """
    captured: List[Tensor] = []
    original = head.cls_seg

    def cls_seg(feat):
        captured.append(feat)
        return original(feat)

    head.cls_seg = cls_seg
    try:
        yield captured
    finally:
        del head.cls_seg


def check_pixel_classifier(head: nn.Module, owner: str) -> None:
    """Refuse, in one line, a decode head whose output is not multi-class
    pixel scores from a 1x1 ``conv_seg`` reached through ``cls_seg()``.

    Args:
        head (nn.Module): The decode head.
        owner (str): What needs it, for the message, e.g. ``'SAR'``.
    """
    head_type = type(head).__name__
    if not isinstance(getattr(head, 'conv_seg', None), nn.Conv2d) or \
            not callable(getattr(head, 'cls_seg', None)):
        raise UserInputError(
            f'{owner} needs a decode head that classifies pixels with a '
            f'1x1 conv_seg through cls_seg(); {head_type} has none. Use '
            f'a head that does ({PIXEL_HEADS}).')
    if head.out_channels != head.num_classes:
        raise UserInputError(
            f'{owner} needs a multi-class classifier, but {head_type} is '
            f'in binary mode (out_channels={head.out_channels}).')


def build_head_sar(sar: Optional[dict],
                   head: nn.Module,
                   owner: str,
                   semi: bool = False) -> SemanticAnchorLoss:
    """The SAR core for a decode head: its classes, the channels of its
    classifier input and its ignore index, through :func:`build_sar`."""
    check_pixel_classifier(head, 'SAR')
    return build_sar(
        sar,
        MODELS,
        num_classes=head.num_classes,
        feat_channels=head.conv_seg.in_channels,
        ignore_index=head.ignore_index,
        owner=f'{owner} ({type(head).__name__})',
        semi=semi)


def anchor_classifier(head: nn.Module) -> Callable[[Tensor], Tensor]:
    """The head's ``conv_seg`` as a map from (C, D) anchors to (C, C)
    logits, the classifier :class:`SemanticAnchorLoss` needs."""
    conv_seg = head.conv_seg
    return lambda anchors: conv_seg(anchors[:, :, None, None]).flatten(1)


def pool_pseudo_labels(labels: Tensor, keep: Tensor, size: torch.Size,
                       ignore_index: int) -> Tensor:
    """Pseudo-labels at feature resolution for SAR's unlabelled pull.

    A feature cell keeps its label only if every pixel it covers is kept
    and carries the same label (min-pooling of ``keep``, label max equal to
    label min), so CutMix borders, padding and dropped pixels drop out.

    Args:
        labels (Tensor): (N, H, W) pseudo-labels.
        keep (Tensor): (N, H, W) bool.
        size (torch.Size): Feature size (h, w).
        ignore_index (int): Label of the cells dropped.
    """
    labels = labels[:, None].float()
    all_kept = -F.adaptive_max_pool2d(-keep[:, None].float(), size)
    high = F.adaptive_max_pool2d(labels, size)
    low = -F.adaptive_max_pool2d(-labels, size)
    uniform = (all_kept > 0) & (high == low)
    return torch.where(uniform, high,
                       torch.full_like(high, ignore_index))[:, 0].long()
