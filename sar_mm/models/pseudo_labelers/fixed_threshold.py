from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import Tensor

from .base import BasePseudoLabeler, check_unit_interval


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class FixedThreshold(BasePseudoLabeler):
    """One confidence threshold for every class: FixMatch's rule.

    Sohn et al., "FixMatch: Simplifying Semi-Supervised Learning with
    Consistency and Confidence", NeurIPS 2020
    (https://arxiv.org/abs/2001.07685); as UniMatch's ``fixmatch.py``
    (LiheYoung/UniMatch) applies it per pixel: a position is kept where its
    maximum probability is at least ``threshold`` (inclusive) and it is
    valid. No state.

    On a long tail this keeps mostly head-class positions: the head is
    where the model is confident first.

    Args:
        num_classes (int): Number of classes C (from the model).
        threshold (float): The least maximum probability that is kept, in
            ``[0, 1]``. Defaults to 0.95 (UniMatch's Pascal/COCO setting;
            its Cityscapes setting is 0).
    """

    def __init__(self, num_classes: int, threshold: float = 0.95):
        super().__init__(num_classes)
        check_unit_interval(threshold=threshold)
        self.threshold = threshold

    def thresholds(self) -> Tensor:
        return self.class_counts.new_full((self.num_classes, ),
                                          self.threshold)

    def _select(self, conf, labels, valid):
        # a Python scalar: compared in the probabilities' float32, as the
        # loss did before strategies existed
        keep = valid & (conf >= self.threshold)
        return keep, keep.float()

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, threshold={self.threshold}'
