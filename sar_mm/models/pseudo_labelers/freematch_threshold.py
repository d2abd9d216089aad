from typing import Optional, Sequence

import torch
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import Tensor

from .base import BasePseudoLabeler, check_unit_interval, sum_over_ranks


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class FreeMatchThreshold(BasePseudoLabeler):
    """Self-adaptive global and class-wise thresholds: FreeMatch's SAT.

    Wang et al., "FreeMatch: Self-adaptive Thresholding for Semi-supervised
    Learning", ICLR 2023 (https://arxiv.org/abs/2205.07246). Reference
    read: USB (microsoft/Semi-supervised-learning)
    ``semilearn/algorithms/freematch/utils.py``
    (``FreeMatchThresholingHook``).

    State, with momentum ``lambda``: the global threshold ``tau_t``, an EMA
    of the mean maximum probability of the valid positions, and the local
    class estimate ``p~_t(c)``, an EMA of their mean probability of class
    c; both start at ``1 / C`` as in the paper (USB's code starts both at
    1, its ``/ num_classes`` commented out, so its thresholds start at 1
    and come down). The threshold of class c is
    ``MaxNorm(p~_t)(c) * tau_t = p~_t(c) / max_k p~_t(k) * tau_t``. As in
    the reference, a step first updates the state with its own batch, then
    selects.

    Differences from the reference: invalid positions (padding, ignore)
    enter no mean; the means are over all ranks' positions (the reference
    all-gathers the probabilities, which per pixel would be far too large:
    here each rank sums and one ``all_reduce`` adds the sums); a step with
    no valid position anywhere leaves the state as it is. The reference's
    self-adaptive fairness loss and its model-histogram EMA are not part of
    this (they are a loss on the strong view, not a labelling rule), nor
    its quantile/clipping options (off in every USB config).

    ``prior_norm`` (off by default; not in the paper): MaxNorm of
    ``p~_t(c) / pi_c``, ``pi`` the labelled class prior. On a long tail
    ``p~_t`` follows the class frequencies, so plain MaxNorm gives tail
    classes a threshold near 0 (``lt_pseudo_labels.md`` section 2). A
    class without labelled examples (``pi_c = 0``) gets the threshold
    ``inf`` (never pseudo-labelled) and is left out of the MaxNorm.

    Args:
        num_classes (int): Number of classes C (from the model).
        momentum (float): ``lambda``, the EMA momentum, in ``[0, 1]``.
            Defaults to 0.999.
        prior_norm (bool): Normalise ``p~_t`` by the labelled class prior
            (needs ``class_counts``). Defaults to False.
        class_counts (Sequence[int], optional): Labelled examples per class,
            for ``prior_norm``.
    """

    update_first = True

    def __init__(self,
                 num_classes: int,
                 momentum: float = 0.999,
                 prior_norm: bool = False,
                 class_counts: Optional[Sequence[int]] = None):
        super().__init__(num_classes, class_counts, prior_norm)
        check_unit_interval(momentum=momentum)
        self.momentum = momentum
        self.register_buffer(
            'global_threshold',
            torch.full((), 1 / num_classes, dtype=torch.float64))
        self.register_buffer(
            'class_probs',
            torch.full((num_classes, ), 1 / num_classes, dtype=torch.float64))

    def thresholds(self) -> Tensor:
        local = self.per_prior(self.class_probs)
        return self.never_unlabelled(
            (local / local.max() * self.global_threshold).float())

    def _update(self, probs, conf, labels, valid):
        stats = torch.cat([
            torch.where(valid, conf, 0.).sum(dtype=torch.float64)[None],
            torch.where(valid[:, None], probs, 0.).sum(0, dtype=torch.float64),
            valid.sum(dtype=torch.float64)[None]
        ])
        sum_over_ranks(stats)
        count = stats[-1]
        mean = stats[:-1] / count.clamp(min=1)
        keep = self.momentum
        state = torch.cat([self.global_threshold[None], self.class_probs])
        state = torch.where(count > 0, keep * state + (1 - keep) * mean,
                            state)
        self.global_threshold.copy_(state[0])
        self.class_probs.copy_(state[1:])

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, momentum={self.momentum}, '
                f'prior_norm={self.prior_norm}')
