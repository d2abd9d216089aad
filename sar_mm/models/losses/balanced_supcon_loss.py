import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor


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
    ``bincount`` of the batch labels (no one-hot products), and the loss is
    computed in fp32 with the row maximum subtracted, also under autocast.

    Distributed training: like the reference, each rank contrasts its own
    batch (and all C prototypes); embeddings are not gathered across ranks.

    Args:
        temperature (float): Temperature T. Defaults to 0.1 (BCL on
            CIFAR-LT; 0.07 on ImageNet-LT).
        loss_weight (float): Weight of the loss (BCL's beta).
            Defaults to 1.0.
    """

    def __init__(self, temperature: float = 0.1, loss_weight: float = 1.0):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}')

    def contrast_logits(self, feats: Tensor, prototypes: Tensor,
                        contrast_labels: Tensor) -> Tensor:
        """(M, M + C) logits of the anchors against the contrast set.

        Args:
            feats (Tensor): (M, d) normalised view embeddings.
            prototypes (Tensor): (C, d) normalised prototypes.
            contrast_labels (Tensor): (M + C, ) labels of the contrast set.
        """
        return feats @ torch.cat([feats, prototypes]).T / self.temperature

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
            loss = self._loss(
                F.normalize(feats.float(), dim=1), labels,
                F.normalize(prototypes.float(), dim=1))
        return self.loss_weight * loss

    def _loss(self, feats: Tensor, labels: Tensor,
              prototypes: Tensor) -> Tensor:
        num_anchors, num_classes = feats.size(0), prototypes.size(0)
        contrast_labels = torch.cat(
            [labels, torch.arange(num_classes, device=labels.device)])
        logits = self.contrast_logits(feats, prototypes, contrast_labels)
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()

        not_self = ~torch.eye(
            num_anchors, logits.size(1), dtype=torch.bool,
            device=logits.device)
        same_class = labels[:, None] == contrast_labels[None, :]
        positives = same_class & not_self
        # |A_k(i)|: the class's views in the batch plus its prototype, less
        # the anchor itself when k is the anchor's class.
        class_sizes = torch.bincount(labels, minlength=num_classes) + 1
        member_class_sizes = class_sizes[contrast_labels][None, :] \
            - same_class.to(logits.dtype)
        class_averaged = logits.exp() * not_self / member_class_sizes
        log_den = class_averaged.sum(dim=1).log()
        mean_positive = (logits * positives).sum(dim=1) / positives.sum(dim=1)
        return (log_den - mean_positive).mean()
