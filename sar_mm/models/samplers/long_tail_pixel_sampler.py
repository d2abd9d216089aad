from typing import Optional

import torch
from mmengine.dist import all_reduce
from mmseg.registry import TASK_UTILS
from mmseg.structures.sampler import BasePixelSampler
from torch import Tensor, nn

from ...utils.class_stats import ClassStats, count_class_pixels
from ...utils.errors import UserInputError
from ..losses.class_weights import (check_weighting, class_weights,
                                    stats_class_weights)


@TASK_UTILS.register_module()
class LongTailPixelSampler(BasePixelSampler):
    """Weight every pixel by the rarity of its class.

    A drop-in ``decode_head.sampler`` (the interface of mmseg's
    ``OHEMPixelSampler``)::

        decode_head=dict(
            sampler=dict(type='LongTailPixelSampler'),
            loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True))

    The weight of a pixel is its class weight (see
    :func:`~sar_mm.models.losses.class_weights`: inverse frequency, square-root
    inverse frequency or the effective number of samples of Cui et al.,
    CVPR 2019, capped at ``max_weight``). Class frequencies come from a
    statistics file of ``tools/analysis_tools/class_stats.py`` or, without
    one, from a running count of the training labels seen so far. Under
    DDP the batch counts are summed over all ranks before they enter the
    running count, so every rank uses the same weights; the running count
    restarts with the process (it is not part of checkpoints).

    Ignore pixels weigh 0. The weights are scaled so that they average 1
    over the valid pixels of the batch, so the loss keeps its scale (unlike
    OHEM's, which mmseg divides by all pixels although few are kept). With
    ``CrossEntropyLoss(avg_non_ignore=True)`` the loss is exactly the
    weighted mean over valid pixels; with the default
    ``avg_non_ignore=False`` it is that times the valid-pixel share, as
    without a sampler. A batch of ignore pixels only gets all-zero weights.

    With ``hard_fraction``, only the hardest pixels of each class are kept
    (the lowest predicted probability of the true class, i.e. the highest
    cross-entropy): mining per class rather than over the whole batch, as
    OHEM does, so the few pixels of a tail class are not crowded out by
    hard pixels of head classes.

    Args:
        context (nn.Module): The decode head; its ``num_classes`` and
            ``ignore_index`` are used.
        weighting (str): ``'inverse'``, ``'sqrt_inverse'`` or
            ``'effective_number'``. Defaults to ``'sqrt_inverse'``.
        stats_file (str, optional): Class statistics of the training set.
            Defaults to None: a running estimate.
        beta (float): ``beta`` of ``'effective_number'``. Defaults to
            0.9999.
        max_weight (float): Cap on a class weight, in units of the average
            pixel weight. Defaults to 10.
        hard_fraction (float, optional): Fraction in (0, 1] of each class's
            pixels in the batch to keep, hardest first. Defaults to None
            (keep all).
    """

    def __init__(self,
                 context: nn.Module,
                 weighting: str = 'sqrt_inverse',
                 stats_file: Optional[str] = None,
                 beta: float = 0.9999,
                 max_weight: float = 10.0,
                 hard_fraction: Optional[float] = None):
        super().__init__()
        check_weighting(weighting, beta, max_weight)
        if hard_fraction is not None:
            if not 0 < hard_fraction <= 1:
                raise UserInputError(
                    f'hard_fraction must be in (0, 1] (the share of each '
                    f"class's pixels to keep), got {hard_fraction}; use None "
                    f'to keep every pixel.')
            if context.out_channels == 1:
                raise UserInputError(
                    'hard_fraction needs one logit per class, but the decode '
                    'head is in binary mode (out_channels=1); drop '
                    'hard_fraction or set out_channels=num_classes.')
        self.context = context
        self.weighting = weighting
        self.beta = beta
        self.max_weight = max_weight
        self.hard_fraction = hard_fraction
        self.class_weight: Optional[Tensor] = None
        self.running_counts: Optional[Tensor] = None
        if stats_file is not None:
            stats = ClassStats.load(stats_file)
            stats.check_classes(context.num_classes,
                                f'the decode head ({type(context).__name__})')
            self.class_weight = stats_class_weights(stats, weighting, beta,
                                                    max_weight)

    @property
    def num_classes(self) -> int:
        return self.context.num_classes

    @property
    def ignore_index(self) -> int:
        return self.context.ignore_index

    def current_class_weight(self, label: Tensor) -> Tensor:
        """The class weights for this batch of labels; in running mode the
        labels (summed over ranks) first enter the running count."""
        if self.class_weight is not None:
            # moved once: a copy per step would wait for the device
            if self.class_weight.device != label.device:
                self.class_weight = self.class_weight.to(label.device)
            return self.class_weight
        counts = count_class_pixels(label, self.num_classes, self.ignore_index)
        all_reduce(counts)
        if self.running_counts is None:
            self.running_counts = torch.zeros_like(counts)
        self.running_counts = self.running_counts.to(label.device) + counts
        return class_weights(self.running_counts, self.weighting, self.beta,
                             self.max_weight)

    def hardest_per_class(self, seg_logit: Tensor, label: Tensor,
                          valid: Tensor) -> Tensor:
        """Mask of the ``hard_fraction`` hardest valid pixels of each class.

        One sort by difficulty then a stable sort by class put the pixels of
        each class together, hardest first; a pixel is kept when its rank
        inside its class is below the class quota. No loop over classes.
        """
        num_classes = self.num_classes
        # the cross-entropy -log p(y) = logsumexp(x) - x_y, without
        # materialising the (N, C, H, W) softmax
        logit = seg_logit.float()
        hardness = (logit.logsumexp(dim=1) -
                    logit.gather(1, label.unsqueeze(1)).squeeze(1)).flatten()
        # ignore pixels form a last, extra class that is never kept
        cls = torch.where(valid, label, num_classes).flatten()
        order = hardness.argsort(descending=True)
        order = order[cls[order].argsort(stable=True)]
        cls_sorted = cls[order]
        counts = count_class_pixels(cls, num_classes + 1, ignore_index=None)
        first = counts.cumsum(0) - counts
        rank = torch.arange(cls.numel(), device=cls.device) - first[cls_sorted]
        quota = (counts.double() * self.hard_fraction).ceil().long()
        keep = torch.empty_like(valid.flatten())
        keep[order] = rank < quota[cls_sorted]
        return keep.view_as(valid) & valid

    def sample(self, seg_logit: Tensor, seg_label: Tensor) -> Tensor:
        """Per-pixel weights of a batch.

        Args:
            seg_logit (Tensor): Logits, shape (N, C, H, W).
            seg_label (Tensor): Labels, shape (N, 1, H, W).

        Returns:
            Tensor: float32 weights, shape (N, H, W), averaging 1 over the
            valid pixels (0 on ignore pixels and on pixels not kept).
        """
        with torch.no_grad():
            label = seg_label.squeeze(1).long()
            class_weight = self.current_class_weight(label)
            valid = label != self.ignore_index
            label = torch.where(valid, label, 0)
            weight = class_weight[label] * valid
            if self.hard_fraction is not None:
                weight = weight * self.hardest_per_class(
                    seg_logit, label, valid)
            # average 1 over valid pixels; stays 0 when none is valid
            return weight * (valid.sum() / weight.sum().clamp(min=1e-12))
