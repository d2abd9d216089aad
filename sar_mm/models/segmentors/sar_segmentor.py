import inspect
from contextlib import contextmanager
from typing import Callable, List, Optional

import torch
from mmseg.models.segmentors import CascadeEncoderDecoder, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor, nn

from ...utils.errors import UserInputError
from ..utils.sar_builder import build_sar


#: mmseg decode heads that do not classify each pixel with a fixed 1x1
#: ``conv_seg``, and what they do instead.
UNSUPPORTED_HEADS = {
    'MaskFormerHead':
    "MaskFormer's head, a mask classifier: it predicts a set of masks with "
    'one class each (and is built on MMDetection), not a class per pixel',
    'Mask2FormerHead':
    "Mask2Former's head, a mask classifier: it predicts a set of masks "
    'with one class each (and is built on MMDetection), not a class per '
    'pixel',
    'IterativeDecodeHead':
    "K-Net's head: it classifies pixels with kernels updated for each "
    'image at every stage, not with a fixed conv_seg',
    'PointHead':
    "PointRend's point head: it classifies sampled points with a Conv1d "
    'over fine features and the coarse logits, not pixels with conv_seg; '
    'point heads are not supported',
    'SegmenterMaskTransformerHead':
    "Segmenter's mask transformer: it classifies pixels against class "
    'embeddings computed for each image, not with conv_seg',
}

_PIXEL_HEADS = 'FCN, PSP, ASPP, UPer, SegFormer, OCR and most mmseg heads'


def check_sar_model(model: dict, cascade: bool, segmentor: str) -> None:
    """Refuse, before anything is built, a model SAR cannot regularise.

    One line naming the reason and the fix for: a decode head that is not
    a pixel classifier (:data:`UNSUPPORTED_HEADS`), a cascade given to
    ``SAREncoderDecoder`` or a single head to ``SARCascadeEncoderDecoder``
    (naming the class to use), and a model of another segmentor class.

    Args:
        model (dict): The model config (or the segmentor's arguments).
        cascade (bool): Whether the SAR segmentor is a cascade one.
        segmentor (str): Its name, for the messages.
    """
    heads = model.get('decode_head')
    several = isinstance(heads, (list, tuple))
    sar_head = heads[-1] if several and heads else heads
    head_type = sar_head.get('type') if isinstance(sar_head, dict) else None
    reason = UNSUPPORTED_HEADS.get(str(head_type).split('.')[-1])
    if reason:
        where = f'model.decode_head[{len(heads) - 1}]' if several \
            else 'model.decode_head'
        raise UserInputError(
            f'SAR cannot regularise {where} ({head_type}), {reason}. SAR '
            f'needs a decode head that classifies every pixel with a 1x1 '
            f'conv_seg ({_PIXEL_HEADS}); train this config without SAR.')
    if (several or 'num_stages' in model) and not cascade:
        raise UserInputError(
            f'model.decode_head is a cascade of {len(heads or [])} heads '
            f'(num_stages={model.get("num_stages")}), as in OCRNet, which '
            f"{segmentor} does not run: use type='SARCascadeEncoderDecoder'"
            f' (SAR on the last head).')
    if cascade and not several:
        raise UserInputError(
            f"model.decode_head is a single head, not a cascade: use "
            f"type='SAREncoderDecoder'. {segmentor} is for cascades such as "
            f'OCRNet (num_stages and a list of decode heads).')
    base = CascadeEncoderDecoder if cascade else EncoderDecoder
    unknown = sorted(
        set(model) - set(inspect.signature(base).parameters) -
        {'type', '_scope_', 'sar'})
    if unknown:
        raise UserInputError(
            f"{segmentor} is mmseg's {base.__name__} with SAR, and this "
            f'model has arguments {base.__name__} does not take '
            f'({", ".join(unknown)}): it is another kind of segmentor (such '
            f"as SAN's MultimodalEncoderDecoder). SAR supports "
            f'EncoderDecoder and CascadeEncoderDecoder models.')


def check_sar_config(model: dict) -> None:
    """:func:`check_sar_model` for a config's ``model`` whose type is a SAR
    segmentor; other models pass untouched. The tools call it before the
    config's custom imports, so an unsupported head is named even when its
    package (e.g. MMDetection) is missing."""
    model_type = model.get('type') if isinstance(model, dict) else None
    if not isinstance(model_type, str):
        return
    cls = MODELS.get(model_type.split('.')[-1])
    if inspect.isclass(cls) and issubclass(cls, SARSegmentorMixin):
        check_sar_model(model, issubclass(cls, CascadeEncoderDecoder),
                        cls.__name__)


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
            f'a head that does ({_PIXEL_HEADS}).')
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
    Models SAR cannot regularise are refused in one line
    (:func:`check_sar_model`).

    Args:
        sar (dict, optional): Arguments of :class:`SemanticAnchorLoss`
            other than ``num_classes``, ``feat_channels`` and
            ``ignore_index`` (taken from the decode head unless given).
            Defaults to the reference setting.
    """

    def __init__(self, *args, sar: Optional[dict] = None, **kwargs):
        check_sar_model(kwargs, isinstance(self, CascadeEncoderDecoder),
                        type(self).__name__)
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
