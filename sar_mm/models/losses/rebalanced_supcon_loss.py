from mmpretrain.registry import MODELS
from torch import Tensor

from ..utils.class_counts import ClassCountsMixin
from .balanced_supcon_loss import BalancedSupConLoss


@MODELS.register_module()
class RebalancedSupConLoss(ClassCountsMixin, BalancedSupConLoss):
    """Rebalanced contrastive loss (RCL) on top of BCL's loss.

    De Alvis, Denipitiyage and Seneviratne, "Long-Tail Learning with
    Rebalanced Contrastive Loss", arXiv 2312.01753, 2023. Only the abstract
    was available to us and no reference code exists, so this is our
    formulation of the two changes it names, each behind its own knob; with
    both off the loss *is* :class:`BalancedSupConLoss`, bit for bit:

    1. Class-frequency-based balancing of the contrastive softmax
       (``prior_tau``): every logit gets the log prior of its contrast
       member's class, as Balanced Softmax / logit adjustment do for the
       classifier::

           l_ij = s_ij * z_i . z_j / T + prior_tau * log(pi_{y_j})

       Head-class members weigh more in the denominator during training,
       so tail anchors are pushed away from head classes by a larger
       margin (the abstract's feature-space balance and tail margins).
    2. Scalar-multiplied features (``feat_scale`` = s): the normalised view
       embeddings are multiplied by s, the prototypes are not, so
       ``s_ij = s**2`` between two views and ``s`` between a view and a
       prototype. Scaling all members alike would only be a lower
       temperature; scaling the views only sharpens the view-to-view
       attraction relative to the prototypes (the abstract's intra-class
       compactness).

    Class-averaging and prototypes are kept as in BCL. ``pi`` comes from
    the training counts, through ``ClassCountsHook`` (see
    :class:`~sar_mm.models.utils.ClassCountsMixin`); they are only needed
    when ``prior_tau != 0``.

    Args:
        temperature (float): Temperature T. Defaults to 0.1.
        prior_tau (float): Scale of the log prior; 0 turns balancing off.
            Defaults to 0.
        feat_scale (float): Factor s of the view embeddings; 1 turns it
            off. Defaults to 1.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        gather_across_ranks (bool): See :class:`BalancedSupConLoss`.
            Defaults to True.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 prior_tau: float = 0.,
                 feat_scale: float = 1.,
                 loss_weight: float = 1.0,
                 gather_across_ranks: bool = True):
        super().__init__(
            temperature=temperature,
            loss_weight=loss_weight,
            gather_across_ranks=gather_across_ranks)
        if feat_scale <= 0:
            raise ValueError(f'feat_scale must be > 0, got {feat_scale}')
        self.prior_tau = prior_tau
        self.feat_scale = feat_scale
        self.init_class_counts()

    @property
    def needs_class_counts(self) -> bool:
        return self.prior_tau != 0

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, prior_tau={self.prior_tau}, '
                f'feat_scale={self.feat_scale}')

    def contrast_logits(self, anchors: Tensor, views: Tensor,
                        prototypes: Tensor,
                        contrast_labels: Tensor) -> Tensor:
        if self.feat_scale != 1:
            anchors = anchors * self.feat_scale
            views = views * self.feat_scale
        logits = super().contrast_logits(anchors, views, prototypes,
                                         contrast_labels)
        if self.prior_tau != 0:
            log_prior = self.log_class_prior(prototypes.size(0))
            logits = logits + self.prior_tau * log_prior[contrast_labels]
        return logits
