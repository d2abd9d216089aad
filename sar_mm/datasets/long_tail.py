"""Long-tailed subsampling shared by every LT dataset of the toolkit."""
from typing import List, Sequence

import numpy as np

from ..utils.errors import UserInputError


def long_tailed_counts(n_max: int, num_classes: int,
                       imbalance_ratio: float) -> List[int]:
    """Per-class counts of the exponential profile used by LDAM-DRW.

    ``n_c = floor(n_max * ratio ** (-c / (C - 1)))`` for ``c = 0..C-1``, so
    class 0 keeps ``n_max`` samples and the last class ``n_max / ratio``.

    Args:
        n_max (int): Samples of the most frequent class.
        num_classes (int): Number of classes C (>= 2).
        imbalance_ratio (float): ``n_0 / n_{C-1}``, at least 1.

    Raises:
        UserInputError: For a ratio below 1, or when a class would get no
            sample.
    """
    if imbalance_ratio < 1:
        raise UserInputError(
            f'imbalance_ratio must be >= 1 (head/tail size ratio), got '
            f'{imbalance_ratio}. Use 1 for a balanced subset.')
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}')
    exponents = np.arange(num_classes) / (num_classes - 1)
    counts = np.floor(n_max * imbalance_ratio**(-exponents))
    counts = counts.astype(int).tolist()
    empty = [c for c, n in enumerate(counts) if n < 1]
    if empty:
        raise UserInputError(
            f'imbalance_ratio={imbalance_ratio} with n_max={n_max} leaves '
            f'classes {empty} with 0 samples; lower the ratio or raise '
            f'n_max (need n_max >= imbalance_ratio).')
    return counts


def subsample_long_tailed(labels: Sequence[int], num_classes: int,
                          imbalance_ratio: float, n_max: int = None,
                          seed: int = 0) -> np.ndarray:
    """Indices of a long-tailed subset of a labelled set.

    Per class, the indices are shuffled by one ``RandomState(seed)`` drawn
    through the class loop (the LDAM-DRW subsets, which seed numpy's global
    generator once before that loop, without touching that generator) and
    the first ``n_c`` are kept, so the subset is the same on every machine.

    Args:
        labels (Sequence[int]): Label of every sample.
        num_classes (int): Number of classes.
        imbalance_ratio (float): Head/tail ratio.
        n_max (int, optional): Size of class 0. Defaults to the size of the
            smallest class, so every class can supply its count.
        seed (int): Shuffle seed. Defaults to 0.

    Returns:
        np.ndarray: Kept indices, grouped by class in class order.
    """
    labels = np.asarray(labels)
    per_class = [np.flatnonzero(labels == c) for c in range(num_classes)]
    if n_max is None:
        n_max = min(len(idx) for idx in per_class)
    counts = long_tailed_counts(n_max, num_classes, imbalance_ratio)
    short = [c for c, (idx, n) in enumerate(zip(per_class, counts))
             if len(idx) < n]
    if short:
        raise UserInputError(
            f'classes {short} have fewer samples than their long-tailed '
            f'count {[counts[c] for c in short]}')
    rng = np.random.RandomState(seed)
    kept = []
    for idx, n in zip(per_class, counts):
        idx = idx.copy()
        rng.shuffle(idx)
        kept.append(idx[:n])
    return np.concatenate(kept)
