import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from ...utils.class_stats import count_class_pixels
from ..utils.gather_rows import gather_rows


@MODELS.register_module()
class BalancedSupConLoss(nn.Module):
    """Balanced supervised contrastive loss of BCL, with class prototypes.

    Zhu et al., "Balanced Contrastive Learning for Long-Tailed Visual
    Recognition", CVPR 2022 (https://arxiv.org/abs/2207.09052); restated
    from ``loss/contrastive.py`` (``BalSCL``) of
    github.com/FlamieZhu/Balanced-Contrastive-Learning.

    The contrast set holds the M view embeddings ``z`` of the batch (labels
    ``y``) and one prototype ``c_k`` per class (label ``k``), all
    L2-normalised. Only the view embeddings are anchors. For anchor ``i``,
    ``A(i)`` is the contrast set without ``i``, ``A_k(i)`` its members of
    class ``k`` and ``P(i) = A_{y_i}(i)`` the positives (the other views of
    the class and its prototype)::

        l_ij  = z_i . z_j / T
        Den_i = sum_k 1/|A_k(i)| * sum_{j in A_k(i)} exp(l_ij)
        L_i   = -1/|P(i)| * sum_{p in P(i)} (l_ip - log Den_i)
        L     = loss_weight * mean_i L_i

    The class-averaged denominator gives every class the same weight
    whatever its share of the batch; prototypes put every class in it,
    including classes absent from the batch. ``|A_k(i)|`` comes from a
    count of the batch labels (no one-hot products), and the loss is
    computed in fp32 with the row maximum subtracted, also under autocast.

    Distributed training: with ``gather_across_ranks`` (the default) each
    rank's anchors are contrasted against the view embeddings of *all*
    ranks, and ``|A_k(i)|`` counts the global batch, so N processes with
    batch B/N compute the loss and gradients of one process with batch B
    (gradients reach the other ranks' embeddings too). The reference
    contrasts each rank's batch on its own; ``gather_across_ranks=False``
    does that.

    Args:
        temperature (float): Temperature T. Defaults to 0.1 (BCL on
            CIFAR-LT; 0.07 on ImageNet-LT).
        loss_weight (float): Weight of the loss (BCL's beta).
            Defaults to 1.0.
        gather_across_ranks (bool): Contrast against the global batch in
            distributed training. Defaults to True.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 loss_weight: float = 1.0,
                 gather_across_ranks: bool = True):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.gather_across_ranks = gather_across_ranks

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}')

    def contrast_logits(self, anchors: Tensor, views: Tensor,
                        prototypes: Tensor,
                        contrast_labels: Tensor) -> Tensor:
        """(M, V + C) logits of the anchors against the contrast set.

        Args:
            anchors (Tensor): (M, d) normalised embeddings of this rank.
            views (Tensor): (V, d) normalised embeddings of the contrast set
                (all ranks'; the anchors are among them).
            prototypes (Tensor): (C, d) normalised prototypes.
            contrast_labels (Tensor): (V + C, ) labels of the contrast set.
        """
        return anchors @ torch.cat([views, prototypes]).T / self.temperature

    def forward(self, feats: Tensor, labels: Tensor,
                prototypes: Tensor) -> Tensor:
        """
        Args:
            feats (Tensor): (M, d) view embeddings, e.g. two views of B
                images stacked (M = 2B); normalised here.
            labels (Tensor): (M, ) class of every embedding, in [0, C).
            prototypes (Tensor): (C, d) one prototype per class; normalised
                here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        if feats.dim() != 2 or labels.shape != feats.shape[:1] or \
                prototypes.dim() != 2 or prototypes.size(1) != feats.size(1):
            raise ValueError(
                f'expected feats (M, d), labels (M, ) and prototypes (C, d), '
                f'got {tuple(feats.shape)}, {tuple(labels.shape)} and '
                f'{tuple(prototypes.shape)}')
        with torch.autocast(device_type=feats.device.type, enabled=False):
            anchors = F.normalize(feats.float(), dim=1)
            views, view_labels, first = anchors, labels, 0
            if self.gather_across_ranks:
                (views, view_labels), first = gather_rows(anchors, labels)
            loss = self._loss(anchors, labels, views, view_labels, first,
                              F.normalize(prototypes.float(), dim=1))
        return self.loss_weight * loss

    def _loss(self, anchors: Tensor, labels: Tensor, views: Tensor,
              view_labels: Tensor, first: int,
              prototypes: Tensor) -> Tensor:
        """The loss of ``anchors``, which are rows ``first:first + M`` of
        ``views``."""
        num_anchors, num_classes = anchors.size(0), prototypes.size(0)
        contrast_labels = torch.cat(
            [view_labels,
             torch.arange(num_classes, device=labels.device)])
        logits = self.contrast_logits(anchors, views, prototypes,
                                      contrast_labels)
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()

        not_self = torch.ones_like(logits, dtype=torch.bool)
        rows = torch.arange(num_anchors, device=logits.device)
        not_self[rows, rows + first] = False
        same_class = labels[:, None] == contrast_labels[None, :]
        positives = same_class & not_self
        # |A_k(i)|: the class's views in the (global) batch plus its
        # prototype, less the anchor itself when k is the anchor's class.
        class_sizes = count_class_pixels(
            view_labels, num_classes, ignore_index=None) + 1
        member_class_sizes = class_sizes[contrast_labels][None, :] \
            - same_class.to(logits.dtype)
        class_averaged = logits.exp() * not_self / member_class_sizes
        log_den = class_averaged.sum(dim=1).log()
        mean_positive = (logits * positives).sum(dim=1) / positives.sum(dim=1)
        return (log_den - mean_positive).mean()
