"""Head / medium / tail groups of classes sorted by frequency.

The rule is shared by the class-statistics file
(:mod:`sar_mm.utils.class_stats`), ``LTIoUMetric`` and the analysis tools.
A groups dict maps a group name to its classes, from the most to the least
frequent, with the groups themselves in head-to-tail order.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import UserInputError

GROUP_NAMES = ('head', 'medium', 'tail')
#: split rules of :func:`split_groups` and their default bounds
SPLIT_RULES = {'class_share': (1 / 3, 2 / 3), 'pixel_share': (0.5, 0.9)}


def check_group_split(
        rule: str,
        bounds: Optional[Sequence[float]] = None) -> Tuple[float, float]:
    """Validate a split rule of :func:`split_groups` and its bounds.

    Returns:
        tuple[float, float]: The bounds, the rule's default when None.
    """
    if rule not in SPLIT_RULES:
        raise UserInputError(
            f'unknown group split rule {rule!r}; choose one of '
            f'{", ".join(SPLIT_RULES)}.')
    bounds = SPLIT_RULES[rule] if bounds is None else tuple(
        float(b) for b in bounds)
    if len(bounds) != 2 or not 0 < bounds[0] <= bounds[1] <= 1:
        raise UserInputError(
            f'group bounds must be two cumulative shares with 0 < head <= '
            f'medium <= 1, e.g. {SPLIT_RULES[rule]} for {rule!r}; got '
            f'{bounds}.')
    return bounds


def split_groups(
        pixel_counts: Sequence[int],
        rule: str = 'class_share',
        bounds: Optional[Sequence[float]] = None) -> Dict[str, List[int]]:
    """Split classes into head, medium and tail.

    Classes are sorted from the most to the least frequent by pixels (ties
    by index). Walking down that list, a class is head while the share
    *before* it is below ``bounds[0]``, medium while it is below
    ``bounds[1]``, tail after that. The share is

    - ``'class_share'`` (default, bounds ``(1/3, 2/3)``): of the classes;
      the three groups have (nearly) equal numbers of classes, whatever the
      shape of the distribution. A dominant class (background) does not
      change the groups of the others.
    - ``'pixel_share'`` (bounds ``(0.5, 0.9)``): of the pixels; head is the
      shortest run of most frequent classes holding half of the pixels,
      tail the classes sharing the last 10 %. It follows the distribution,
      but one class holding most pixels leaves nearly every other class in
      the tail.

    Args:
        pixel_counts (Sequence[int]): Pixels of each class.
        rule (str): ``'class_share'`` or ``'pixel_share'``. Defaults to
            ``'class_share'``.
        bounds (Sequence[float], optional): Cumulative shares ending head
            and medium. Defaults to the rule's bounds above.

    Returns:
        dict[str, list[int]]: Class indices of ``'head'``, ``'medium'`` and
        ``'tail'``, each from the most to the least frequent.
    """
    head_share, medium_share = check_group_split(rule, bounds)
    counts = np.asarray(pixel_counts, dtype=np.float64)
    order = np.argsort(-counts, kind='stable')
    if rule == 'class_share':
        before = np.arange(len(counts)) / max(len(counts), 1)
    else:
        before = (np.cumsum(counts[order]) - counts[order]) / max(
            counts.sum(), 1)
    is_head = before < head_share
    is_medium = ~is_head & (before < medium_share)
    is_tail = ~is_head & ~is_medium
    return dict(
        head=order[is_head].tolist(),
        medium=order[is_medium].tolist(),
        tail=order[is_tail].tolist())


def head_to_tail(groups: Dict[str, List[int]]) -> List[int]:
    """All classes of ``groups``, group after group (head first)."""
    return [c for members in groups.values() for c in members]


def group_of_classes(groups: Dict[str, List[int]]) -> Dict[int, str]:
    """The group name of every class index in ``groups``."""
    return {c: name for name, members in groups.items() for c in members}
