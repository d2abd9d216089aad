from typing import NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.dist import all_reduce
from torch import Tensor

from ...utils.errors import is_number_in
from ..utils.class_counts import ClassCountsMixin


class PseudoLabels(NamedTuple):
    """What a pseudo-labelling strategy gives the unlabelled loss.

    Every field has the positions' shape: ``(N, H, W)`` for pixels,
    ``(N, )`` for images.

    Attributes:
        labels (Tensor): long, the argmax class of each position (also
            where it is not kept, so the caller can CutMix or log it).
        keep (Tensor): bool, True where the label is used: valid and
            selected by the strategy.
        weight (Tensor): float32, the loss weight of each position; 0 where
            ``keep`` is False, 1 where it is True for the hard strategies.
    """
    labels: Tensor
    keep: Tensor
    weight: Tensor


def check_unit_interval(**settings) -> None:
    """Raise one ``ValueError`` line for the first setting (a threshold,
    momentum or ratio) that is not a number in ``[0, 1]``."""
    for name, value in settings.items():
        if not is_number_in(value, 0, 1):
            raise ValueError(
                f'{name} must be a number in [0, 1], got {value!r}')


def count_per_class(labels: Tensor,
                    mask: Tensor,
                    num_classes: int,
                    values: Optional[Tensor] = None) -> Tensor:
    """``(C, )`` float64 count of the positions with ``mask`` per label, or
    with ``values`` (one per position) the sum of their values.

    One ``index_add_`` into ``C + 1`` bins, masked positions going to the
    spare last bin: no boolean indexing and no ``bincount``, whose output
    sizes depend on the data (a host sync on CUDA).
    """
    index = torch.where(mask, labels, num_classes)
    values = torch.ones_like(index, dtype=torch.float64) if values is None \
        else values.double()
    counts = labels.new_zeros(num_classes + 1, dtype=torch.float64)
    counts.index_add_(0, index, values)
    return counts[:num_classes]


def sum_over_ranks(stats: Tensor) -> Tensor:
    """Sum a step's statistics over DDP ranks, in place (one
    ``all_reduce``; nothing happens on a single process), so that every
    rank applies the same update to its buffers."""
    all_reduce(stats, op='sum')
    return stats


class BasePseudoLabeler(ClassCountsMixin, nn.Module):
    """Base of the pseudo-labelling strategies of semi-supervised training.

    A strategy turns the weak view's class probabilities into hard
    pseudo-labels and decides which of them the unlabelled loss uses. One
    implementation serves pixels, probabilities ``(N, C, H, W)``, and
    images, ``(N, C)``: positions are flattened to ``(P, C)``, so a
    segmentation batch and the same positions given as images get the same
    result.

    Call :meth:`forward` once per training step on the unlabelled batch's
    weak-view probabilities. In training mode it also updates the
    strategy's state (EMAs, counts) with that batch, in the order of the
    strategy's paper (``update_first``: FreeMatch and distribution matching
    update, then select; FlexMatch selects with the state of the previous
    steps, then updates). Pass ``update=False`` for a second call in the
    same step (e.g. UniMatch's CutMix partner batch) so the state moves
    once per step; call :meth:`update` alone to warm the state up while
    the unlabelled loss is off (burn-in).

    State is kept in persistent buffers, so checkpoints and ``--resume``
    carry it. Each step's statistics are summed over DDP ranks with one
    ``all_reduce`` before the buffers change, so every rank holds the same
    state and the same thresholds. Statistics are computed in float32 (the
    probabilities are cast, so fp16 under AMP is fine) and accumulated in
    float64. Nothing reads tensors back to the host and no Python loop
    runs over classes.

    Subclasses implement :meth:`thresholds` (and :meth:`_update` if they
    have state); those with another selection rule override
    :meth:`_select`. The labelled class counts, for the strategies that use
    them, come from ``class_counts`` or from
    :class:`~sar_mm.engine.hooks.ClassCountsHook` (the training dataset's
    ``metainfo['class_counts']``, which replace the configured ones when
    present).

    Args:
        num_classes (int): Number of classes C (from the model).
        class_counts (Sequence[int], optional): Labelled examples per class
            (pixels for segmentation, images for classification); only
            the strategies that use a class prior read them, and those
            never pseudo-label a class with 0 (at least 2 classes need
            some).
        prior_norm (bool): For the strategies that offer it: divide their
            per-class statistic by the labelled class prior
            (:meth:`per_prior`). Defaults to False.
    """

    #: update the state with the batch before selecting (else after)
    update_first = True
    #: a class without labelled examples gets a defined behaviour
    #: (:meth:`never_unlabelled`) instead of stopping the run
    allows_zero_counts = True

    def __init__(self,
                 num_classes: int,
                 class_counts: Optional[Sequence[int]] = None,
                 prior_norm: bool = False):
        super().__init__()
        if not (isinstance(num_classes, int) and num_classes >= 2):
            raise ValueError(
                f'num_classes must be an int >= 2, got {num_classes!r}')
        self.num_classes = num_classes
        self.prior_norm = bool(prior_norm)
        self.init_class_counts()
        if class_counts is not None:
            self.set_class_counts(class_counts)

    @property
    def uses_class_counts(self) -> bool:
        """Whether the strategy reads the counts with its settings."""
        return self.prior_norm

    @property
    def needs_class_counts(self) -> bool:
        # used and still missing: configured counts are enough, so
        # ClassCountsHook does not insist on a dataset that has none (the
        # segmentation datasets, whose counts would be pixel counts)
        return self.uses_class_counts and not self.has_class_counts

    def thresholds(self) -> Tensor:
        """The current per-class confidence thresholds, ``(C, )`` float32
        (for selection and for the log)."""
        raise NotImplementedError

    @torch.no_grad()
    def forward(self,
                probs: Tensor,
                valid: Optional[Tensor] = None,
                update: Optional[bool] = None) -> PseudoLabels:
        """Pseudo-labels of a batch, and the state update it brings.

        Args:
            probs (Tensor): ``(N, C, ...)`` softmax probabilities of the
                weak view, classes on dim 1 (no gradient is taken).
            valid (Tensor, optional): ``(N, ...)`` bool, False where a
                position may not count (crop padding, ignore): never kept
                and left out of every statistic. Defaults to all valid.
            update (bool, optional): Whether to update the state with this
                batch. Defaults to ``self.training``.

        Returns:
            PseudoLabels: ``labels``, ``keep`` and ``weight``, each of
            shape ``(N, ...)``.
        """
        flat, flat_valid = self._flatten(probs, valid)
        conf, labels = flat.max(dim=1)
        if update is None:
            update = self.training
        if update and self.update_first:
            self._update(flat, conf, labels, flat_valid)
        keep, weight = self._select(conf, labels, flat_valid)
        if update and not self.update_first:
            self._update(flat, conf, labels, flat_valid)
        shape = (probs.shape[0], ) + probs.shape[2:]
        return PseudoLabels(
            labels.view(shape), keep.view(shape), weight.view(shape))

    @torch.no_grad()
    def update(self, probs: Tensor, valid: Optional[Tensor] = None) -> None:
        """Update the state with a batch without selecting anything (e.g.
        during burn-in). Arguments as for :meth:`forward`."""
        flat, flat_valid = self._flatten(probs, valid)
        conf, labels = flat.max(dim=1)
        self._update(flat, conf, labels, flat_valid)

    def _select(self, conf: Tensor, labels: Tensor,
                valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Keep-mask and weight of ``P`` positions: confident for the
        threshold of their class, and valid."""
        keep = valid & (conf >= self.thresholds()[labels])
        return keep, keep.float()

    def _update(self, probs: Tensor, conf: Tensor, labels: Tensor,
                valid: Tensor) -> None:
        """Update the state with ``P`` positions: ``probs (P, C)``, their
        max ``conf`` and argmax ``labels`` and ``valid`` mask."""

    def _flatten(self, probs: Tensor,
                 valid: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """``(P, C)`` float32 probabilities and ``(P, )`` valid mask."""
        if probs.dim() < 2 or probs.shape[1] != self.num_classes:
            raise ValueError(
                f'{type(self).__name__} takes probabilities of shape (N, C, '
                f'...) with C = num_classes = {self.num_classes}, got '
                f'{tuple(probs.shape)}')
        positions = (probs.shape[0], ) + tuple(probs.shape[2:])
        if valid is None:
            valid = probs.new_ones(positions, dtype=torch.bool)
        elif valid.dtype != torch.bool or tuple(valid.shape) != positions:
            raise ValueError(
                f'valid must be a bool mask of shape {positions} (probs '
                f'without the class dim), got {valid.dtype} '
                f'{tuple(valid.shape)}')
        flat = probs.detach().float().movedim(1, -1).reshape(
            -1, self.num_classes)
        return flat, valid.reshape(-1)

    def missing_counts_fix(self) -> str:
        name = type(self).__name__
        return (f"Set pseudo_label=dict(type='{name}', class_counts=[...]) "
                f'(labelled pixels per class for segmentation), or train '
                f'with ClassCountsHook on a dataset whose metainfo has '
                f'class_counts.')

    def class_prior(self) -> Tensor:
        """``(C, )`` float64 share of each class among the labelled
        examples (0 for a class without any).

        Raises:
            UserInputError: When no counts were given, or they are for
                another number of classes.
        """
        counts = self.checked_class_counts(self.num_classes).double()
        return counts / counts.sum()

    def per_prior(self, values: Tensor) -> Tensor:
        """``values / pi`` with ``prior_norm``, else ``values``: what the
        frequency of a class explains is taken out of its statistic. A
        class without labelled examples (``pi = 0``) gets 0, so it leaves
        a normalisation over the classes as if it were not there."""
        if not self.prior_norm:
            return values
        prior = self.class_prior()
        return torch.where(prior > 0, values / prior, 0.)

    def never_unlabelled(self, thresholds: Tensor) -> Tensor:
        """``thresholds`` with ``inf`` for the classes without a labelled
        example when the strategy reads the counts: what the model never
        saw labelled is never pseudo-labelled (no prior says how much of
        it to expect)."""
        if not self.uses_class_counts:
            return thresholds
        unlabelled = self.checked_class_counts(self.num_classes) == 0
        return thresholds.masked_fill(unlabelled, float('inf'))

    def extra_repr(self) -> str:
        return f'num_classes={self.num_classes}'
