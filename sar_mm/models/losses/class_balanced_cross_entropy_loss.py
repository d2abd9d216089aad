from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor, nn

from ...utils.class_stats import ClassStats
from ...utils.errors import UserInputError
from .class_weights import stats_class_weights


@MODELS.register_module()
class ClassBalancedCrossEntropyLoss(nn.Module):
    """Cross-entropy with class weights, safe with ignore and pad labels.

    The class-weighted mean over valid pixels::

        loss = sum_i w[y_i] * s_i * ce_i / sum_i w[y_i] * s_i

    over the pixels ``i`` whose label ``y_i`` is not ``ignore_index``, with
    ``s_i`` the optional per-pixel weight of a sampler (1 without one). It
    is what mmseg's ``CrossEntropyLoss(class_weight=..., avg_non_ignore=
    True)`` means to compute, without its bug: there the average factor
    indexes the weight vector with the raw labels, so a single ignore or
    pad label (255) stops training with "index 255 is out of bounds",
    whatever ``avg_non_ignore`` says. An all-ignore batch gives a loss of
    0, not NaN.

    The class weights come from a statistics file of
    ``tools/analysis_tools/class_stats.py`` through
    :func:`~sar_mm.models.losses.class_weights` (inverse frequency, square-root
    inverse frequency or the effective number of samples of Cui et al.,
    CVPR 2019, capped at ``max_weight``), or are given as a list.

    Args:
        stats_file (str, optional): Class statistics of the training set.
        class_weight (Sequence[float], optional): Explicit class weights,
            instead of ``stats_file``.
        weighting (str): ``'inverse'``, ``'sqrt_inverse'`` or
            ``'effective_number'``, for ``stats_file``. Defaults to
            ``'sqrt_inverse'``.
        beta (float): ``beta`` of ``'effective_number'``. Defaults to
            0.9999.
        max_weight (float): Cap on a class weight from ``stats_file``, in
            units of the average pixel weight. Defaults to 10.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Defaults to
            ``'mean'``.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        loss_name (str): Name of the loss in the logs; must start with
            ``loss_`` to be optimised. Defaults to ``'loss_cb_ce'``.
    """

    def __init__(self,
                 stats_file: Optional[str] = None,
                 class_weight: Optional[Sequence[float]] = None,
                 weighting: str = 'sqrt_inverse',
                 beta: float = 0.9999,
                 max_weight: float = 10.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_cb_ce'):
        super().__init__()
        if (stats_file is None) == (class_weight is None):
            raise UserInputError(
                'ClassBalancedCrossEntropyLoss needs exactly one of '
                'stats_file (from tools/analysis_tools/class_stats.py) and '
                'class_weight (a list with one weight per class).')
        if reduction not in ('mean', 'sum', 'none'):
            raise UserInputError(
                f"reduction must be 'mean', 'sum' or 'none', got "
                f'{reduction!r}.')
        if stats_file is not None:
            self.stats: Optional[ClassStats] = ClassStats.load(stats_file)
            weights = stats_class_weights(self.stats, weighting, beta,
                                          max_weight)
        else:
            self.stats = None
            weights = torch.tensor(class_weight, dtype=torch.float32)
            if weights.dim() != 1 or not (weights >= 0).all():
                raise UserInputError(
                    f'class_weight must be a flat list of non-negative '
                    f'numbers, got {class_weight}.')
        # follows the module's device; not saved in checkpoints
        self.register_buffer('class_weight', weights, persistent=False)
        self.reduction = reduction
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def extra_repr(self) -> str:
        source = self.stats.path if self.stats is not None else 'class_weight'
        return f'num_classes={len(self.class_weight)}, weights={source}'

    def _check_num_classes(self, num_classes: int) -> None:
        if num_classes == len(self.class_weight):
            return
        where = 'the prediction (cls_score)'
        if self.stats is not None:
            self.stats.check_classes(num_classes, where)
        raise UserInputError(
            f'class_weight has {len(self.class_weight)} entries, but '
            f'{where} has {num_classes} classes; give one weight per class.')

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[Union[int, Tensor]] = None,
                reduction_override: Optional[str] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits, shape (N, C, ...).
            label (Tensor): Labels, shape (N, ...).
            weight (Tensor, optional): Per-pixel weights, e.g. of a pixel
                sampler, shape of ``label``.
            avg_factor (int | Tensor, optional): Divisor of the ``'mean'``
                reduction instead of the sum of pixel weights.
            reduction_override (str, optional): Overrides ``reduction``.
            ignore_index (int): Label value to ignore. Defaults to 255.

        Returns:
            Tensor: The loss, a scalar unless the reduction is ``'none'``.
        """
        reduction = reduction_override or self.reduction
        num_classes = cls_score.shape[1]
        self._check_num_classes(num_classes)
        valid = label != ignore_index
        pixel_weight = self.class_weight[torch.where(valid, label, 0)] * valid
        if weight is not None:
            pixel_weight = pixel_weight * weight.float()
        # fp32 under AMP: a large class weight times a fp16 loss overflows
        loss = F.cross_entropy(
            cls_score.float(),
            label.long(),
            reduction='none',
            ignore_index=ignore_index) * pixel_weight
        if reduction == 'mean':
            if avg_factor is None:
                avg_factor = pixel_weight.sum()
            loss = loss.sum() / torch.as_tensor(
                avg_factor, dtype=loss.dtype,
                device=loss.device).clamp(min=torch.finfo(loss.dtype).eps)
        elif reduction == 'sum':
            loss = loss.sum()
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """Name of the loss in the logs and the loss dict."""
        return self._loss_name
