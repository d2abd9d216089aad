from mmpretrain.models.losses import CrossEntropyLoss
from mmpretrain.registry import MODELS
from torch import Tensor

from ..utils.class_counts import ClassCountsMixin


@MODELS.register_module()
class LogitAdjustCELoss(ClassCountsMixin, CrossEntropyLoss):
    """Logit-adjusted softmax cross-entropy (the loss form of logit
    adjustment).

    Menon et al., "Long-tail learning via logit adjustment", ICLR 2021
    (https://arxiv.org/abs/2007.07314); the CE of BCL's classification
    branch (``loss/logitadjust.py`` of
    github.com/FlamieZhu/Balanced-Contrastive-Learning)::

        L = CE(logits + tau * log(pi), y)

    with ``pi`` the training-set class frequencies. Predictions use the raw
    logits: the adjustment only shapes training. The counts come from the
    training dataset through ``ClassCountsHook`` (see
    :class:`~sar_mm.models.utils.ClassCountsMixin`).

    A drop-in for mmpretrain's ``CrossEntropyLoss`` in any classification
    head::

        head = dict(type='LinearClsHead', ...,
                    loss=dict(type='LogitAdjustCELoss'))

    Args:
        tau (float): Scale of the log prior. Defaults to 1.0; 0 gives the
            plain cross-entropy.
        use_soft (bool): Soft targets (Mixup/CutMix scores). Defaults to
            False.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        class_weight (list[float], optional): Per-class weights, as in
            ``CrossEntropyLoss``. Defaults to None.
    """

    def __init__(self,
                 tau: float = 1.0,
                 use_soft: bool = False,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_weight=None):
        super().__init__(
            use_soft=use_soft,
            reduction=reduction,
            loss_weight=loss_weight,
            class_weight=class_weight)
        self.tau = tau
        self.init_class_counts()

    @property
    def needs_class_counts(self) -> bool:
        return self.tau != 0

    def forward(self, cls_score: Tensor, label: Tensor, *args,
                **kwargs) -> Tensor:
        """Same arguments as ``CrossEntropyLoss.forward``."""
        if self.needs_class_counts:
            cls_score = cls_score + self.tau * self.log_class_prior(
                cls_score.size(-1))
        return super().forward(cls_score, label, *args, **kwargs)

    def extra_repr(self) -> str:
        return f'tau={self.tau}, loss_weight={self.loss_weight}'
