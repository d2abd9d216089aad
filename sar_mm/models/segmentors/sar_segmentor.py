from contextlib import contextmanager
from typing import Callable, List, Optional

import torch
from mmseg.models.segmentors import CascadeEncoderDecoder, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor, nn

from ...utils.errors import UserInputError
from ..utils.sar_builder import build_sar


@contextmanager
def capture_classifier_input(head: nn.Module):
    """Record what a decode head hands to ``cls_seg``.

    ``cls_seg(feat)`` applies the head's dropout and ``conv_seg``; its input
    is the decode feature SAR pulls towards the anchors, before dropout.
    Every mmseg decode head computes its logits through ``cls_seg``, which
    is why SAR needs no per-head subclass.
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


def check_pixel_classifier(head: nn.Module, needed_by: str) -> None:
    """Refuse, in one line, a decode head whose output is not multi-class
    pixel scores from a 1x1 ``conv_seg`` reached through ``cls_seg()``.

    Args:
        head (nn.Module): The decode head.
        needed_by (str): What needs it, for the message, e.g. ``'SAR'``.
    """
    head_type = type(head).__name__
    if not isinstance(getattr(head, 'conv_seg', None), nn.Conv2d) or \
            not callable(getattr(head, 'cls_seg', None)):
        raise UserInputError(
            f'{needed_by} needs a decode head that classifies pixels with a '
            f'1x1 conv_seg through cls_seg(); {head_type} has none. Use '
            f'a head derived from mmseg BaseDecodeHead (FCN, ASPP, PSP, '
            f'UPer, SegFormer, DepthwiseSeparableASPP, OCR...).')
    if head.out_channels != head.num_classes:
        raise UserInputError(
            f'{needed_by} needs a multi-class classifier, but {head_type} is '
            f'in binary mode (out_channels={head.out_channels}).')


def build_head_sar(sar: Optional[dict], head: nn.Module,
                   owner: str) -> nn.Module:
    """The SAR core for a decode head: its classes, the channels of its
    classifier input and its ignore index, through :func:`build_sar`."""
    check_pixel_classifier(head, 'SAR')
    return build_sar(
        sar,
        MODELS,
        num_classes=head.num_classes,
        feat_channels=head.conv_seg.in_channels,
        ignore_index=head.ignore_index,
        owner=f'{owner} ({type(head).__name__})')


def anchor_classifier(head: nn.Module) -> Callable[[Tensor], Tensor]:
    """The head's ``conv_seg`` as a map from (C, D) anchors to (C, C)
    logits, the classifier :class:`SemanticAnchorLoss` needs."""
    conv_seg = head.conv_seg
    return lambda anchors: conv_seg(anchors[:, :, None, None]).flatten(1)


class SARSegmentorMixin:
    """Adds Semantic Anchor Regularization to an mmseg segmentor.

    The last decode head's pre-dropout features and its ``conv_seg`` feed
    one :class:`SemanticAnchorLoss`; auxiliary heads are left alone and
    inference is untouched (a SAR checkpoint predicts like the base model
    with the same weights; the extra ``sar.*`` entries are training state).

    Args:
        sar (dict, optional): Arguments of :class:`SemanticAnchorLoss`
            other than ``num_classes``, ``feat_channels`` and
            ``ignore_index`` (taken from the decode head unless given).
            Defaults to the reference setting.
    """

    def __init__(self, *args, sar: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sar = build_head_sar(sar, self.sar_head, type(self).__name__)

    @property
    def sar_head(self) -> nn.Module:
        """The decode head SAR regularises: the last one of a cascade."""
        head = self.decode_head
        return head[-1] if isinstance(head, nn.ModuleList) else head

    def _decode_head_forward_train(self, inputs: List[Tensor],
                                   data_samples: SampleList) -> dict:
        head = self.sar_head
        labels = torch.stack(
            [sample.gt_sem_seg.data[0] for sample in data_samples])
        with capture_classifier_input(head) as captured:
            losses = super()._decode_head_forward_train(inputs, data_samples)
        if not captured:
            raise RuntimeError(
                f'{type(head).__name__}.forward() did not call cls_seg(), so '
                f'SAR cannot see its features.')
        losses.update(
            self.sar(captured[-1], labels, classifier=anchor_classifier(head)))
        return losses


@MODELS.register_module()
class SAREncoderDecoder(SARSegmentorMixin, EncoderDecoder):
    """:class:`EncoderDecoder` with Semantic Anchor Regularization.

    Enable SAR on any EncoderDecoder config with two lines::

        model = dict(type='SAREncoderDecoder', sar=dict())
    """


@MODELS.register_module()
class SARCascadeEncoderDecoder(SARSegmentorMixin, CascadeEncoderDecoder):
    """:class:`CascadeEncoderDecoder` (e.g. OCRNet) with Semantic Anchor
    Regularization on the last decode head::

        model = dict(type='SARCascadeEncoderDecoder', sar=dict())
    """
