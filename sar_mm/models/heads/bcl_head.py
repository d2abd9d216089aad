from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..utils.cosine_linear import CosineLinear


def _projection_mlp(in_channels: int, hidden_channels: int,
                    out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_channels, hidden_channels),
        nn.BatchNorm1d(hidden_channels), nn.ReLU(inplace=True),
        nn.Linear(hidden_channels, out_channels))


@MODELS.register_module()
class BCLHead(ClsHead):
    """The two-branch head of Balanced Contrastive Learning (BCL).

    Zhu et al., "Balanced Contrastive Learning for Long-Tailed Visual
    Recognition", CVPR 2022 (https://arxiv.org/abs/2207.09052); restated
    from ``BCLModel`` in ``models/resnext.py`` of
    github.com/FlamieZhu/Balanced-Contrastive-Learning.

    - Classifier branch: a cosine classifier ``fc`` (scale 30) trained with
      ``loss`` (logit-adjusted CE, BCL's alpha as its ``loss_weight``) on
      the first, classification view.
    - Contrastive branch: a projection MLP (Linear-BN-ReLU-Linear) maps the
      features of the other views to ``feat_channels``-d embeddings; a
      second MLP of the same shape maps every class vector of ``fc`` to a
      class prototype ("class-complement"; not detached, so the contrastive
      loss trains the classifier too). ``contrast_loss``
      (:class:`~sar_mm.models.losses.BalancedSupConLoss`, BCL's beta as its
      ``loss_weight``) contrasts embeddings and prototypes.

    Training takes the features of several views per image, so use it with
    :class:`~sar_mm.models.classifiers.MultiViewImageClassifier`.
    Prediction uses the classifier logits of a single view only, with no
    adjustment; both MLPs are training-only. The defaults are BCL's CIFAR-LT
    setting (T = 0.1, d = 128, alpha = 2, beta = 0.6); ImageNet-LT uses
    T = 0.07, d = 1024, alpha = 1, beta = 0.35.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature channels D of the backbone (after the
            neck).
        feat_channels (int): Embedding size d. Defaults to 128.
        hidden_channels (int, optional): Hidden width of both MLPs.
            Defaults to ``in_channels``, as the reference.
        logit_scale (float): Scale of the cosine classifier. Defaults to 30.
        loss (dict): Classification loss. Defaults to
            ``LogitAdjustCELoss`` with ``loss_weight=2.0``.
        contrast_loss (dict): Contrastive loss, called as
            ``contrast_loss(embeddings, labels, prototypes)``. Defaults to
            ``BalancedSupConLoss`` with ``temperature=0.1`` and
            ``loss_weight=0.6``; ``RebalancedSupConLoss`` gives RCL.
        topk (int | tuple[int]): Top-k accuracy of ``cal_acc``.
            Defaults to (1, ).
        cal_acc (bool): Log the training accuracy of the classification
            view. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch defaults, as the reference).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_channels: int = 128,
                 hidden_channels: int = None,
                 logit_scale: float = 30.,
                 loss: dict = dict(type='LogitAdjustCELoss', loss_weight=2.0),
                 contrast_loss: dict = dict(
                     type='BalancedSupConLoss',
                     temperature=0.1,
                     loss_weight=0.6),
                 topk=(1, ),
                 cal_acc: bool = False,
                 init_cfg=None):
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        self.num_classes = num_classes
        self.in_channels = in_channels
        hidden_channels = hidden_channels or in_channels
        self.fc = CosineLinear(in_channels, num_classes, scale=logit_scale)
        self.projector = _projection_mlp(in_channels, hidden_channels,
                                         feat_channels)
        self.prototype_projector = _projection_mlp(in_channels,
                                                   hidden_channels,
                                                   feat_channels)
        self.contrast_loss = MODELS.build(contrast_loss)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Cosine-classifier logits of one view."""
        return self.fc(self.pre_logits(feats))

    def loss(self, feats: Sequence[Tuple[Tensor]],
             data_samples: List[DataSample], **kwargs) -> dict:
        """BCL losses of a batch seen in several views.

        Args:
            feats (Sequence[tuple[Tensor]]): Neck outputs of every view,
                the classification view first, then >= 1 contrastive views.
            data_samples (list[DataSample]): One per image.

        Returns:
            dict[str, Tensor]: ``loss_cls`` and ``loss_contrast`` (plus
            ``accuracy_top-k`` with ``cal_acc``).
        """
        # one neck output (a tuple of tensors) per view, >= 2 views
        if len(feats) < 2 or isinstance(feats[0], Tensor):
            raise TypeError(
                'BCLHead.loss takes the features of >= 2 views of each '
                'image (classification view first); train it with '
                "model=dict(type='MultiViewImageClassifier') and a MultiView "
                'pipeline.')
        views = [self.pre_logits(view) for view in feats]
        losses = self._get_loss(self.fc(views[0]), data_samples, **kwargs)
        losses['loss_cls'] = losses.pop('loss')
        # As in the reference, every view (the classification one too) goes
        # through the projector in one batch, which sets its BatchNorm
        # statistics; only the contrastive views are contrasted.
        embeddings = self.projector(torch.cat(views))[len(views[0]):]
        labels = torch.cat([sample.gt_label for sample in data_samples])
        prototypes = self.prototype_projector(self.fc.weight)
        losses['loss_contrast'] = self.contrast_loss(
            embeddings, labels.repeat(len(views) - 1), prototypes)
        return losses
