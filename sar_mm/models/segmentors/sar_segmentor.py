import inspect
from typing import List, Optional

import torch
from mmseg.models.segmentors import CascadeEncoderDecoder, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor, nn

from ...utils.errors import UserInputError
from ..sar import (PIXEL_HEADS, anchor_classifier, build_head_sar,
                   capture_classifier_input)
from ..utils import last_decode_head


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
            f'conv_seg ({PIXEL_HEADS}); train this config without SAR.')
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
        return last_decode_head(self)

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
            self.sar.losses(anchor_classifier(head),
                            {'': (captured[-1], labels, 1.)}))
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
