from contextlib import contextmanager
from typing import List, Optional

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
        head = self.sar_head
        head_type = type(head).__name__
        if not isinstance(getattr(head, 'conv_seg', None), nn.Conv2d) or \
                not callable(getattr(head, 'cls_seg', None)):
            raise UserInputError(
                f'SAR needs a decode head that classifies pixels with a '
                f'1x1 conv_seg through cls_seg(); {head_type} has none. Use '
                f'a head derived from mmseg BaseDecodeHead (FCN, ASPP, PSP, '
                f'UPer, SegFormer, DepthwiseSeparableASPP, OCR...).')
        if head.out_channels != head.num_classes:
            raise UserInputError(
                f'SAR needs a multi-class classifier, but {head_type} is in '
                f'binary mode (out_channels={head.out_channels}).')
        self.sar = build_sar(
            sar,
            MODELS,
            num_classes=head.num_classes,
            feat_channels=head.conv_seg.in_channels,
            ignore_index=head.ignore_index,
            owner=f'{type(self).__name__} ({head_type})')

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
        conv_seg = head.conv_seg
        losses.update(
            self.sar(
                captured[-1],
                labels,
                classifier=lambda a: conv_seg(a[:, :, None, None]).flatten(1)))
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
