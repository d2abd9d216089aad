from functools import partial
from typing import List, Optional, Tuple

from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..sar import build_sar, losses_with_sar


@MODELS.register_module()
class SARLinearClsHead(LinearClsHead):
    """``LinearClsHead`` with Semantic Anchor Regularization.

    Ge et al., AAAI 2024 (https://arxiv.org/abs/2312.11872); Wang et al.,
    IJCV 2025. The classification side of the same
    :class:`~sar_mm.models.sar.SemanticAnchorLoss` the segmentors use:
    the image features the head classifies (``pre_logits``, one D-vector
    per image) are pulled towards their class's semantic anchor, and the
    anchors are made semantic by this head's own ``fc`` (one pull term per
    image). Prediction is ``LinearClsHead``'s, so a SAR checkpoint predicts
    like the plain model with the same weights; the ``sar.*`` entries are
    training state. Enable it on any ``LinearClsHead`` config with::

        head = dict(type='SARLinearClsHead', sar=dict())

    For any other head (stacked, ViT, BCL...), switch the classifier
    instead: ``model = dict(type='SARImageClassifier', sar=dict())`` (see
    :class:`~sar_mm.models.classifiers.SARImageClassifier`); both compute
    the same losses.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Input feature channels (SAR's ``feat_channels``).
        sar (dict, optional): Arguments of ``SemanticAnchorLoss`` other than
            ``num_classes`` and ``feat_channels``. Every label is a class
            here, so ``ignore_index`` defaults to -1 (SAR's 255 would drop
            class 255 of a 1000-class problem). Defaults to the reference
            setting.
        init_cfg (dict): Initialisation of ``fc`` (SAR's projector keeps its
            own). Defaults to ``Normal(std=0.01)`` as ``LinearClsHead``.
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``cal_acc``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 sar: Optional[dict] = None,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', std=0.01, override=dict(name='fc')),
                 **kwargs):
        super().__init__(num_classes, in_channels, init_cfg=init_cfg, **kwargs)
        self.sar = build_sar(
            sar,
            MODELS,
            num_classes=num_classes,
            feat_channels=in_channels,
            ignore_index=-1,
            owner=type(self).__name__)

    def loss(self, feats: Tuple[Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Classification loss plus ``loss_sar_anchor``, ``loss_sar_pull``
        and the logged ``sar_gate_open`` and ``sar_anchor_acc``."""
        return losses_with_sar(
            self.sar, self.fc, data_samples,
            partial(super().loss, feats, data_samples, **kwargs),
            type(self).__name__)
