import torch
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import Tensor

from ...utils.errors import is_number_in
from .base import (BasePseudoLabeler, check_unit_interval, count_per_class,
                   sum_over_ranks)


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class AdaptiveEqualization(BasePseudoLabeler):
    """Pseudo-labels weighted against the classes the model already masters:
    AEL's adaptive equalization sampling and dynamic re-weighting.

    Hu et al., "Semi-Supervised Semantic Segmentation via Adaptive
    Equalization Learning", NeurIPS 2021 (https://arxiv.org/abs/2110.05474).
    Reference read: hzhupku/SemiSeg-AEL, ``semseg/utils/loss_helper.py``
    (``Criterion_cons``) and ``semseg/utils/utils.py``
    (``cal_category_confidence``).

    State: ``confidence``, a per-class EMA (``momentum``) of how sure the
    model is of class c. A position of pseudo-class c gets the weight
    ``d_c * q ** gamma``, ``q`` its confidence and
    ``d_c = ((1 - conf_c) / max_k (1 - conf_k)) ** power``: a class the
    model is sure of (on a long tail, the head; in segmentation the
    background) loses most of its pull on the unlabelled loss, so its
    pseudo-labels cannot drown the rare classes. Positions below
    ``threshold`` (0 in the reference: none) are not kept.

    What differs from the reference:

    - AEL's confidence of class c is the mean probability of c on labelled
      pixels of ground truth c. A strategy sees only the weak view, so
      here it is the mean confidence of the valid positions predicted as
      c. A class keeps its value on a step with no such position; it
      starts from its first observation (AEL starts from uniform noise).
    - AEL keeps a position of class c with probability ``d_c`` (a
      Bernoulli mask); here ``d_c`` multiplies the weight (the same
      expected loss, no random draws).
    - AEL divides the loss by the sum of the weights. The unlabelled loss
      here divides by the number of valid positions (FixMatch's
      normaliser, ``pseudo_label_loss``), so with ``weight_norm`` (the
      default) the weights are scaled by ``valid positions / sum of
      weights`` of the batch (per process under DDP), which gives AEL's
      loss; without it the term shrinks as the weights do.
    - AEL samples by the student's prediction; here by the pseudo-label.

    It reads no labelled class counts, so a class without labelled pixels
    is weighted like any other (by the model's confidence in it).

    One ``all_reduce`` per step sums the per-class statistics over DDP
    ranks; no per-class loop, no host sync.

    Args:
        num_classes (int): Number of classes C (from the model).
        momentum (float): EMA momentum of ``confidence``, in ``[0, 1]``.
            Defaults to 0.99 (AEL: 0.999 over 40k+ iterations).
        gamma (float): Exponent of the confidence weight ``q ** gamma``,
            >= 0. Defaults to 2 (AEL).
        power (float): Exponent of ``d_c``, >= 0. Defaults to 1 (AEL).
        threshold (float): Least confidence kept, in ``[0, 1]``. Defaults
            to 0 (AEL).
        weight_norm (bool): Scale the weights to sum to the number of
            valid positions (AEL's normaliser). Defaults to True.
    """

    update_first = True

    def __init__(self,
                 num_classes: int,
                 momentum: float = 0.99,
                 gamma: float = 2.0,
                 power: float = 1.0,
                 threshold: float = 0.0,
                 weight_norm: bool = True):
        super().__init__(num_classes)
        check_unit_interval(momentum=momentum, threshold=threshold)
        for name, value in (('gamma', gamma), ('power', power)):
            if not is_number_in(value, 0, float('inf')):
                raise ValueError(
                    f'{name} must be a number >= 0, got {value!r}')
        self.momentum = momentum
        self.gamma = gamma
        self.power = power
        self.threshold = threshold
        self.weight_norm = bool(weight_norm)
        self.register_buffer(
            'confidence', torch.zeros(num_classes, dtype=torch.float64))
        self.register_buffer(
            'seen', torch.zeros(num_classes, dtype=torch.bool))

    def thresholds(self) -> Tensor:
        return self.confidence.new_full((self.num_classes, ),
                                        self.threshold).float()

    def equalization(self) -> Tensor:
        """``(C, )`` float32 ``d_c``; 1 for every class until one is
        seen."""
        room = 1 - self.confidence
        share = room / room.max().clamp(min=1e-12)
        return share.pow(self.power).float()

    def _select(self, conf, labels, valid):
        keep = valid & (conf >= self.threshold)
        weight = self.equalization()[labels] * conf.pow(self.gamma)
        keep = keep & (weight > 0)
        weight = torch.where(keep, weight, 0.)
        if self.weight_norm:
            weight = weight * (valid.sum() / weight.sum().clamp(min=1e-12))
        return keep, weight

    def _update(self, probs, conf, labels, valid):
        sums, counts = sum_over_ranks(
            torch.stack([
                count_per_class(labels, valid, self.num_classes, conf),
                count_per_class(labels, valid, self.num_classes)
            ]))
        mean = sums / counts.clamp(min=1)
        keep = self.momentum
        blended = torch.where(self.seen,
                              keep * self.confidence + (1 - keep) * mean,
                              mean)
        self.confidence.copy_(torch.where(counts > 0, blended,
                                          self.confidence))
        self.seen.logical_or_(counts > 0)

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, momentum={self.momentum}, '
                f'gamma={self.gamma}, power={self.power}, '
                f'threshold={self.threshold}, '
                f'weight_norm={self.weight_norm}')
