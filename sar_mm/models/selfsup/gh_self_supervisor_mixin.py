from typing import Dict, List, Optional, Sequence, Tuple

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ...utils.errors import UserInputError


def sample_indices(
        data_samples: Optional[Sequence[DataSample]]) -> List[int]:
    """The dataset index of every sample of a batch, as Python integers
    (host values: checking and moving them never waits for the device).

    Geometric Harmonization keeps a running prediction per training image,
    so it needs to know which image each sample is. mmengine datasets put
    that index in ``sample_idx``, which ``PackInputs`` keeps by default.
    """
    indices = [
        sample.get('sample_idx') for sample in data_samples or ()
    ]
    if not indices or any(idx is None for idx in indices):
        raise UserInputError(
            'Geometric Harmonization needs the dataset index of every '
            "training sample ('sample_idx' in the data samples' metainfo) "
            'to keep its per-sample running predictions, and this batch '
            'has none. Use a dataset derived from mmengine BaseDataset '
            "(they all set it) and keep 'sample_idx' in the meta_keys of "
            'PackInputs (it is in the default meta_keys).')
    return [int(idx) for idx in indices]


class GHSelfSupervisorMixin:
    """Adds Geometric Harmonization to an mmpretrain self-supervised
    algorithm without touching its loss.

    The algorithm's own ``loss`` runs unchanged while the mixin records the
    outputs of its projector (``self.neck``); :meth:`projected_views` turns
    them into the projections ``(z1, z2)`` of the two views, and the result
    of :class:`~sar_mm.models.losses.GHLoss` is added as ``loss_gh``. The
    default :meth:`projected_views` serves algorithms that project each
    view with its own call of the online projector (MoCo v3, BYOL, SimSiam);
    others override it (:class:`GHSimCLR`). Momentum encoders are copies of
    the projector and are not recorded.

    Mix it in before the algorithm:
    ``class GHMoCoV3(GHSelfSupervisorMixin, MoCoV3)``.

    Args:
        gh_loss (dict): Config of the :class:`GHLoss`.
        *args: Arguments of the algorithm.
        **kwargs: Arguments of the algorithm.
    """

    def __init__(self, *args, gh_loss: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.gh_loss = MODELS.build(gh_loss)

    def projected_views(self,
                        projections: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """``(z1, z2)`` from the projector outputs of one loss call.

        Args:
            projections (list[Tensor]): First output of every call of the
                projector during the algorithm's loss, in call order.
        """
        if len(projections) != 2:
            raise RuntimeError(
                f'{type(self).__name__} expects two projector calls per '
                f'step, one per view, but saw {len(projections)}; override '
                f'projected_views for this algorithm')
        return projections[0], projections[1]

    def loss(self, inputs: List[Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        """The algorithm's losses plus ``loss_gh``."""
        indices = sample_indices(data_samples)
        projections = []

        def record(module, args, output):
            # mmpretrain necks return a tuple of feature maps
            projections.append(output[0] if isinstance(
                output, (tuple, list)) else output)

        handle = self.neck.register_forward_hook(record)
        try:
            losses = super().loss(inputs, data_samples, **kwargs)
        finally:
            handle.remove()
        z1, z2 = self.projected_views(projections)
        losses['loss_gh'] = self.gh_loss(z1, z2, indices)
        return losses
