from mmpretrain.models import MoCoV3
from mmpretrain.registry import MODELS

from .gh_self_supervisor_mixin import GHSelfSupervisorMixin


@MODELS.register_module()
class GHMoCoV3(GHSelfSupervisorMixin, MoCoV3):
    """MoCo v3 with Geometric Harmonization (Zhou et al., NeurIPS 2023,
    https://arxiv.org/abs/2310.17622).

    mmpretrain's :class:`~mmpretrain.models.MoCoV3`, unchanged, plus
    ``loss_gh`` from the online projections ``q1``, ``q2`` of the two views
    (the momentum encoder's keys carry no gradient and are not used).

    Args:
        gh_loss (dict): Config of the :class:`~sar_mm.models.losses.GHLoss`.
        *args: Arguments of :class:`~mmpretrain.models.MoCoV3`.
        **kwargs: Arguments of :class:`~mmpretrain.models.MoCoV3`.
    """
