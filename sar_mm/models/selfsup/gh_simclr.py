from typing import List, Tuple

from mmpretrain.models import SimCLR
from mmpretrain.registry import MODELS
from torch import Tensor

from .gh_self_supervisor_mixin import GHSelfSupervisorMixin


@MODELS.register_module()
class GHSimCLR(GHSelfSupervisorMixin, SimCLR):
    """SimCLR with Geometric Harmonization (Zhou et al., NeurIPS 2023,
    https://arxiv.org/abs/2310.17622), as in ``train_cifar.py`` of
    github.com/MediaBrain-SJTU/Geometric-Harmonization.

    mmpretrain's :class:`~mmpretrain.models.SimCLR`, unchanged, plus
    ``loss_gh`` from the projections ``z`` after the projector's last BN,
    before SimCLR's L2 normalisation. A SimCLR config gains GH with::

        model = dict(type='GHSimCLR',
                     gh_loss=dict(type='GHLoss', num_classes=100,
                                  feat_dim=128))
        custom_hooks = [dict(type='GHScheduleHook', warmup_epochs=500)]

    Args:
        gh_loss (dict): Config of the :class:`~sar_mm.models.losses.GHLoss`.
        *args: Arguments of :class:`~mmpretrain.models.SimCLR`.
        **kwargs: Arguments of :class:`~mmpretrain.models.SimCLR`.
    """

    def projected_views(self,
                        projections: List[Tensor]) -> Tuple[Tensor, Tensor]:
        # SimCLR projects both views in one call, sample-major:
        # rows 2i and 2i + 1 are the two views of sample i.
        if len(projections) != 1:
            raise RuntimeError(
                f'SimCLR calls its projector once per step, saw '
                f'{len(projections)} calls')
        z = projections[0]
        return z[0::2], z[1::2]
