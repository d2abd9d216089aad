from typing import List, Optional, Tuple

from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..utils.class_counts import ClassCountsMixin


@MODELS.register_module()
class LogitAdjustLinearClsHead(ClassCountsMixin, LinearClsHead):
    """``LinearClsHead`` with post-hoc logit adjustment of its predictions.

    Menon et al., "Long-tail learning via logit adjustment", ICLR 2021
    (https://arxiv.org/abs/2007.07314), post-hoc form: train as usual, then
    predict ``argmax(logits - tau * log(pi))`` with ``pi`` the training-set
    class frequencies. ``forward`` (``mode='tensor'``) and the loss keep the
    raw logits; only ``predict`` is adjusted. The counts come from the
    training dataset through ``ClassCountsHook`` and are saved in
    checkpoints (see :class:`~sar_mm.models.utils.ClassCountsMixin`).

    For the training-time (loss) form, keep ``LinearClsHead`` and use
    ``loss=dict(type='LogitAdjustCELoss')``; combining both adjusts twice.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Input feature channels.
        posthoc_tau (float): Scale of the subtracted log prior; 0 predicts
            like ``LinearClsHead``. Defaults to 1.0.
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``init_cfg``...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 posthoc_tau: float = 1.0,
                 **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        self.posthoc_tau = posthoc_tau
        self.init_class_counts()

    @property
    def needs_class_counts(self) -> bool:
        return self.posthoc_tau != 0

    def predict(
        self,
        feats: Tuple[Tensor],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        cls_score = self(feats)
        if self.needs_class_counts:
            cls_score = cls_score - self.posthoc_tau * self.log_class_prior(
                self.num_classes)
        return self._get_predictions(cls_score, data_samples)
