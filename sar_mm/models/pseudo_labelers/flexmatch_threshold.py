from typing import Optional, Sequence

import torch
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import Tensor

from .base import (BasePseudoLabeler, check_unit_interval, count_per_class,
                   sum_over_ranks)


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class FlexMatchThreshold(BasePseudoLabeler):
    """Class-wise thresholds from each class's learning status: FlexMatch's
    Curriculum Pseudo Labelling.

    Zhang et al., "FlexMatch: Boosting Semi-Supervised Learning with
    Curriculum Pseudo Labeling", NeurIPS 2021
    (https://arxiv.org/abs/2110.08263). Reference read: USB
    (microsoft/Semi-supervised-learning)
    ``semilearn/algorithms/flexmatch/utils.py``
    (``FlexMatchThresholdingHook``).

    Per class c, ``sigma_c`` counts the valid positions predicted as c with
    a maximum probability of at least ``threshold`` (tau), ``unused`` the
    valid positions below tau. The learning status is
    ``beta_c = sigma_c / max(max_k sigma_k, unused)`` with ``warmup`` (the
    paper's threshold warm-up, USB's default), else
    ``beta_c = sigma_c / max_k sigma_k``; the threshold of class c is
    ``tau * M(beta_c)`` with the convex map ``M(x) = x / (2 - x)``. As in
    the reference, a step selects with the state of the previous steps and
    then adds its own counts; with no counts yet every threshold is 0.

    Differences from the reference:

    - The reference keeps, per unlabelled *sample*, its latest confident
      prediction, indexed by dataset index; "unused" are the samples never
      yet confident, a count that only falls. Pixels move under
      augmentation and have no index, so here ``sigma`` and ``unused`` are
      EMAs of the per-step counts (``momentum``), for pixels and images
      alike, and ``unused`` counts the positions not confident *now*. The
      EMA starts at 0; as beta is a ratio of counts that all share the
      start-up factor, it is unbiased from the first step.
    - The counts are summed over DDP ranks (the reference's stay per rank).
    - ``prior_norm`` (off by default; not in the paper): divides
      ``sigma_c`` by the labelled share ``pi_c`` of class c before
      normalising. On a long tail the head class has the largest count
      whether or not it is learned, so plain beta gives every tail class a
      threshold near 0; with the prior it measures the share of each
      class's expected positions already confident
      (``lt_pseudo_labels.md`` section 1). A class without labelled
      examples (``pi_c = 0``) has no expected share: its threshold is
      ``inf`` (never pseudo-labelled) and it is left out of the max, so
      the other classes' thresholds are those without it.

    Args:
        num_classes (int): Number of classes C (from the model).
        threshold (float): tau, the fixed threshold the counts use and the
            highest class threshold, in ``[0, 1]``. Defaults to 0.95.
        momentum (float): EMA momentum of the counts, in ``[0, 1]``: about
            ``1 / (1 - momentum)`` steps are remembered (the reference
            remembers one epoch of the unlabelled set). Defaults to 0.999.
        warmup (bool): Normalise by ``max(max sigma, unused)``, so that
            thresholds rise as the model becomes confident. Defaults to
            True.
        prior_norm (bool): Divide the counts by the labelled class prior
            (needs ``class_counts``). Defaults to False.
        class_counts (Sequence[int], optional): Labelled examples per class,
            for ``prior_norm``.
    """

    update_first = False

    def __init__(self,
                 num_classes: int,
                 threshold: float = 0.95,
                 momentum: float = 0.999,
                 warmup: bool = True,
                 prior_norm: bool = False,
                 class_counts: Optional[Sequence[int]] = None):
        super().__init__(num_classes, class_counts, prior_norm)
        check_unit_interval(threshold=threshold, momentum=momentum)
        self.threshold = threshold
        self.momentum = momentum
        self.warmup = bool(warmup)
        self.register_buffer(
            'confident_counts', torch.zeros(num_classes, dtype=torch.float64))
        self.register_buffer('unused_count',
                             torch.zeros((), dtype=torch.float64))

    def learning_status(self) -> Tensor:
        """``beta``, ``(C, )`` float64 in ``[0, 1]``."""
        status = self.per_prior(self.confident_counts)
        norm = status.max()
        if self.warmup:
            norm = torch.maximum(norm, self.unused_count)
        # no counts yet: beta = 0 (threshold 0), as in the reference
        return torch.where(norm > 0, status / norm.clamp(min=1e-300), 0.)

    def thresholds(self) -> Tensor:
        beta = self.learning_status()
        return self.never_unlabelled(
            (self.threshold * beta / (2 - beta)).float())

    def _update(self, probs, conf, labels, valid):
        confident = valid & (conf >= self.threshold)
        stats = torch.cat([
            count_per_class(labels, confident, self.num_classes),
            (valid & ~confident).sum(dtype=torch.float64)[None]
        ])
        sum_over_ranks(stats)
        keep = self.momentum
        self.confident_counts.mul_(keep).add_(stats[:-1], alpha=1 - keep)
        self.unused_count.mul_(keep).add_(stats[-1], alpha=1 - keep)

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, threshold={self.threshold}, '
                f'momentum={self.momentum}, warmup={self.warmup}, '
                f'prior_norm={self.prior_norm}')
