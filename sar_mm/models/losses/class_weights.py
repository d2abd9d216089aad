"""Class weights from class frequencies, for the re-weighting losses.

``ClassBalancedCrossEntropyLoss`` and ``LongTailPixelSampler`` weight each
pixel by its class: inverse frequency, square-root inverse frequency or the
inverse effective number of samples (Cui et al., "Class-Balanced Loss Based
on Effective Number of Samples", CVPR 2019), from the pixel counts of a
class-statistics file or of the labels seen so far.
"""
import warnings

import torch
from torch import Tensor

from ...utils.class_stats import ClassStats
from ...utils.errors import UserInputError

WEIGHTINGS = ('inverse', 'sqrt_inverse', 'effective_number')


def check_weighting(weighting: str, beta: float, max_weight: float) -> None:
    """Validate the arguments of :func:`class_weights`."""
    if weighting not in WEIGHTINGS:
        raise UserInputError(
            f'unknown class weighting {weighting!r}; choose one of '
            f'{", ".join(WEIGHTINGS)}.')
    if weighting == 'effective_number' and not 0 <= beta < 1:
        raise UserInputError(
            f'beta of the effective number must be in [0, 1), got {beta}; '
            f'values close to 1 (e.g. 0.9999) weight more like inverse '
            f'frequency.')
    if not 1 <= max_weight < float('inf'):
        raise UserInputError(
            f'max_weight must be a finite number >= 1 (the largest class '
            f'weight, in units of the average pixel weight), got '
            f'{max_weight}.')


def class_weights(pixel_counts: Tensor,
                  weighting: str = 'sqrt_inverse',
                  beta: float = 0.9999,
                  max_weight: float = 10.0) -> Tensor:
    """Class weights from pixel counts, capped.

    With ``n_c`` the pixels and ``f_c`` the frequency of class ``c``, the
    raw weight is

    - ``'inverse'``: ``1 / f_c``;
    - ``'sqrt_inverse'``: ``1 / sqrt(f_c)``, a milder re-balancing;
    - ``'effective_number'``: ``(1 - beta) / (1 - beta ** n_c)``, the
      inverse effective number of samples of Cui et al., "Class-Balanced
      Loss Based on Effective Number of Samples", CVPR 2019. ``beta = 0``
      gives equal weights, ``beta -> 1`` inverse frequency; pixels of one
      image are far from independent, so useful values sit close to 1.

    Weights are then scaled so that the average pixel of the counted data
    weighs 1 (``sum_c f_c w_c = 1``) and capped at ``max_weight``. Classes
    without pixels get ``max_weight``: finite, never NaN. Computed in
    float64 on the device of ``pixel_counts``; returned as float32.

    Args:
        pixel_counts (Tensor): Pixels of each class, shape ``(C, )``.
        weighting (str): ``'inverse'``, ``'sqrt_inverse'`` or
            ``'effective_number'``. Defaults to ``'sqrt_inverse'``.
        beta (float): ``beta`` of the effective number. Defaults to 0.9999.
        max_weight (float): Cap on a class weight, in units of the average
            pixel weight. Defaults to 10.

    Returns:
        Tensor: float32 weights of shape ``(C, )``.
    """
    check_weighting(weighting, beta, max_weight)
    counts = pixel_counts.double()
    freq = counts / counts.sum().clamp(min=1)
    if weighting == 'inverse':
        raw = 1 / freq
    elif weighting == 'sqrt_inverse':
        raw = freq.rsqrt()
    else:
        raw = (1 - beta) / (1 - torch.pow(beta, counts))
    seen = counts > 0
    mean_weight = torch.where(seen, freq * raw, 0).sum()
    weights = torch.where(seen, raw / mean_weight.clamp(min=1e-12), max_weight)
    return weights.clamp(max=max_weight).float()


def stats_class_weights(stats: ClassStats,
                        weighting: str = 'sqrt_inverse',
                        beta: float = 0.9999,
                        max_weight: float = 10.0) -> Tensor:
    """:func:`class_weights` of the pixel counts of a statistics file,
    warning by name about classes without pixels (they get
    ``max_weight``)."""
    empty = [
        name for name, n in zip(stats.classes, stats.pixel_counts) if n == 0
    ]
    if empty:
        warnings.warn(
            f'class(es) {", ".join(map(repr, empty))} have no pixels in '
            f'the class statistics {stats.path}; they get the capped '
            f'weight max_weight={max_weight}.')
    return class_weights(
        torch.tensor(stats.pixel_counts), weighting, beta, max_weight)
