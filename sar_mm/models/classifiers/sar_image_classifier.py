from functools import partial
from typing import List, Optional

from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ...utils.errors import UserInputError
from ..sar import build_sar, final_classifier, losses_with_sar
from .multi_view_classifier import MultiViewImageClassifier


class SARClassifierMixin:
    """Adds Semantic Anchor Regularization to an mmpretrain classifier.

    Ge et al., AAAI 2024 (https://arxiv.org/abs/2312.11872); Wang et al.,
    IJCV 2025; the classification form of the reference
    ``mmseg/models/segmentors/sar.py`` (github.com/geyanqi/SAR): one pull
    term per image (geyanqi/SAR issue #3).

    The head's final linear classifier (``fc``, the last layer of a stack,
    ViT's ``layers.head``; see
    :func:`~sar_mm.models.sar.final_classifier`) feeds one
    :class:`~sar_mm.models.sar.SemanticAnchorLoss`: what it reads (the
    features after the head's ``pre_logits``) is pulled towards the class
    anchors, and the anchors go through it. The head's own loss and
    prediction are untouched, so a SAR checkpoint predicts like the base
    model with the same weights; the extra ``sar.*`` entries are training
    state. Every label is a class, so ``sar.ignore_index`` defaults to -1.

    Args:
        sar (dict, optional): The SAR switch, ``sar=dict()`` for the
            reference setting; keys and values are checked by
            :func:`~sar_mm.models.sar.build_sar`.
    """

    def __init__(self, *args, sar: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        owner = f'{type(self).__name__} ({type(self.head).__name__})'
        classifier = final_classifier(self.head, owner)
        preprocessor = self.data_preprocessor
        if getattr(preprocessor, 'batch_augments', None) is not None or \
                getattr(preprocessor, 'to_onehot', False):
            raise UserInputError(
                f'{owner} pulls every image towards the anchor of its hard '
                f'label, so it does not support batch augmentations (Mixup, '
                f'CutMix) or one-hot labels; set model.train_cfg=None and '
                f'remove data_preprocessor.to_onehot.')
        self.sar = build_sar(
            sar,
            MODELS,
            num_classes=classifier.out_features,
            feat_channels=classifier.in_features,
            ignore_index=-1,
            owner=owner)

    @property
    def sar_classifier(self) -> nn.Module:
        """The head's final linear classifier (looked up, not stored, so it
        is not registered twice in the state dict)."""
        return final_classifier(self.head)

    def loss(self, inputs, data_samples: List[DataSample]) -> dict:
        """The base classifier's losses plus ``loss_sar_anchor``,
        ``loss_sar_pull`` and the logged ``sar_gate_open`` and
        ``sar_anchor_acc``."""
        return losses_with_sar(
            self.sar, self.sar_classifier, data_samples,
            partial(super().loss, inputs, data_samples),
            type(self).__name__)


@MODELS.register_module()
class SARImageClassifier(SARClassifierMixin, ImageClassifier):
    """:class:`ImageClassifier` with Semantic Anchor Regularization.

    Enable SAR on any single-label mmpretrain classifier config whose head
    has a final linear classifier (``LinearClsHead``,
    ``StackedLinearClsHead``, ``VisionTransformerClsHead``,
    ``LogitAdjustLinearClsHead``...) with two lines::

        custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
        model = dict(type='SARImageClassifier', sar=dict())
    """


@MODELS.register_module()
class SARMultiViewImageClassifier(SARClassifierMixin,
                                  MultiViewImageClassifier):
    """:class:`~sar_mm.models.classifiers.MultiViewImageClassifier` with
    Semantic Anchor Regularization, for BCL/RCL heads: the classification
    view's features (what BCL's cosine ``fc`` reads) are pulled::

        model = dict(type='SARMultiViewImageClassifier', sar=dict())
    """
