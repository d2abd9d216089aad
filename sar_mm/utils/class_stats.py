"""Per-class statistics of a segmentation dataset and what derives from them.

This module is the single home of the class-statistics file written by
``tools/analysis_tools/class_stats.py``, of the head / medium / tail split
rule and of the class-weighting modes. ``LongTailPixelSampler``,
``ClassBalancedCrossEntropyLoss`` and ``LTIoUMetric`` all use it.

The statistics file is JSON::

    {
      "format": "sar_mm.class_stats",
      "format_version": 1,
      "num_classes": 3,
      "classes": ["road", "car", "bike"],
      "pixel_counts": [9000, 900, 100],   # per class, ignore pixels excluded
      "image_counts": [10, 8, 2],         # images in which the class appears
      "frequencies": [0.9, 0.09, 0.01],   # pixel_counts / their sum
      "num_images": 10,
      "ignore_index": 255,
      "reduce_zero_label": false,
      "out_of_range": {"200": 17},        # label value -> pixels; neither a
                                          # class nor ignore_index, not counted
      "split": {"rule": "class_share",    # see split_groups()
                "bounds": [0.3333333333333333, 0.6666666666666666]},
      "groups": {"head": [0], "medium": [1], "tail": [2]},
      "source": {"config": "...", "split": "train", "dataset": "..."}
    }

Class indices are the ones the model predicts (after ``reduce_zero_label``
and ``label_map``). Groups list their classes from the most to the least
frequent; they may be edited by hand, the file is the reference.
"""
import json
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .errors import UserInputError

FORMAT = 'sar_mm.class_stats'
FORMAT_VERSION = 1
GROUP_NAMES = ('head', 'medium', 'tail')
#: split rules of :func:`split_groups` and their default bounds
SPLIT_RULES = {'class_share': (1 / 3, 2 / 3), 'pixel_share': (0.5, 0.9)}
WEIGHTINGS = ('inverse', 'sqrt_inverse', 'effective_number')
STATS_TOOL = 'tools/analysis_tools/class_stats.py'


def count_class_pixels(labels: Tensor,
                       num_classes: int,
                       ignore_index: int = 255) -> Tensor:
    """Pixels of each class in a label tensor of any shape.

    Values equal to ``ignore_index`` or outside ``[0, num_classes)`` are not
    counted.

    Returns:
        Tensor: int64 counts of shape ``(num_classes, )``, on the device of
        ``labels``.
    """
    labels = labels.long()
    valid = (labels >= 0) & (labels < num_classes) & (labels != ignore_index)
    # invalid pixels go to an extra bin, dropped after counting
    binned = torch.where(valid, labels, num_classes).flatten()
    return torch.bincount(binned, minlength=num_classes + 1)[:num_classes]


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
    """All classes of ``groups``: head first, then medium, then tail."""
    return [c for name in GROUP_NAMES for c in groups[name]]


def group_of_classes(groups: Dict[str, List[int]]) -> Dict[int, str]:
    """The group name of every class index in ``groups``."""
    return {c: name for name in GROUP_NAMES for c in groups[name]}


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


@dataclass
class ClassStats:
    """The content of a class-statistics file (see the module docstring).

    Build one with :meth:`from_counts` or :meth:`load`; write it with
    :meth:`dump`.
    """

    classes: Tuple[str, ...]
    pixel_counts: List[int]
    image_counts: List[int]
    num_images: int
    groups: Dict[str, List[int]]
    group_rule: str = 'class_share'
    group_bounds: Tuple[float, float] = SPLIT_RULES['class_share']
    ignore_index: int = 255
    reduce_zero_label: bool = False
    out_of_range: Dict[int, int] = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    path: Optional[str] = None

    @classmethod
    def from_counts(cls,
                    classes: Sequence[str],
                    pixel_counts: Sequence[int],
                    image_counts: Sequence[int],
                    num_images: int,
                    group_rule: str = 'class_share',
                    group_bounds: Optional[Sequence[float]] = None,
                    **kwargs) -> 'ClassStats':
        """Statistics with the groups computed by :func:`split_groups`."""
        bounds = check_group_split(group_rule, group_bounds)
        return cls(
            classes=tuple(classes),
            pixel_counts=[int(n) for n in pixel_counts],
            image_counts=[int(n) for n in image_counts],
            num_images=int(num_images),
            groups=split_groups(pixel_counts, group_rule, bounds),
            group_rule=group_rule,
            group_bounds=bounds,
            **kwargs)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def frequencies(self) -> List[float]:
        total = max(sum(self.pixel_counts), 1)
        return [n / total for n in self.pixel_counts]

    def to_dict(self) -> dict:
        return dict(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            num_classes=self.num_classes,
            classes=list(self.classes),
            pixel_counts=self.pixel_counts,
            image_counts=self.image_counts,
            frequencies=self.frequencies,
            num_images=self.num_images,
            ignore_index=self.ignore_index,
            reduce_zero_label=self.reduce_zero_label,
            out_of_range={
                str(k): v
                for k, v in sorted(self.out_of_range.items())
            },
            split=dict(rule=self.group_rule, bounds=list(self.group_bounds)),
            groups={name: self.groups[name]
                    for name in GROUP_NAMES},
            source=self.source)

    def dump(self, path: str) -> None:
        with open(path, 'w') as f:
            json.dump(self.to_dict(), f, indent=2)
            f.write('\n')

    @classmethod
    def load(cls, path: str) -> 'ClassStats':
        """Read and validate a class-statistics file.

        Raises:
            UserInputError: For a missing file or one that is not a valid
                class-statistics file of a supported version.
        """
        try:
            with open(path) as f:
                data = json.load(f)
        except FileNotFoundError:
            raise UserInputError(
                f'class statistics file not found: {path}. Create it with '
                f'`python {STATS_TOOL} CONFIG --out {path}`.') from None
        except json.JSONDecodeError as err:
            raise UserInputError(
                f'{path} is not valid JSON ({err}); recreate it with '
                f'{STATS_TOOL}.') from None
        if not isinstance(data, dict) or data.get('format') != FORMAT:
            raise UserInputError(
                f'{path} is not a class statistics file (no "format": '
                f'"{FORMAT}"); create one with {STATS_TOOL}.')
        if data.get('format_version') != FORMAT_VERSION:
            raise UserInputError(
                f'{path} has format_version {data.get("format_version")}, '
                f'this sar_mm reads version {FORMAT_VERSION}; recreate it '
                f'with {STATS_TOOL}.')
        try:
            stats = cls(
                classes=tuple(data['classes']),
                pixel_counts=[int(n) for n in data['pixel_counts']],
                image_counts=[int(n) for n in data['image_counts']],
                num_images=int(data['num_images']),
                groups={
                    name: [int(c) for c in data['groups'][name]]
                    for name in GROUP_NAMES
                },
                group_rule=data['split']['rule'],
                group_bounds=tuple(data['split']['bounds']),
                ignore_index=int(data['ignore_index']),
                reduce_zero_label=bool(data['reduce_zero_label']),
                out_of_range={
                    int(k): int(v)
                    for k, v in data['out_of_range'].items()
                },
                source=data.get('source', {}),
                path=path)
        except (KeyError, TypeError, ValueError) as err:
            raise UserInputError(
                f'{path} is an incomplete class statistics file (missing or '
                f'malformed {err}); recreate it with {STATS_TOOL}.') from None
        stats._validate()
        return stats

    def _validate(self) -> None:
        n = self.num_classes
        for key in ('pixel_counts', 'image_counts'):
            if len(getattr(self, key)) != n:
                raise UserInputError(
                    f'{self.path}: {key} has {len(getattr(self, key))} '
                    f'entries for {n} classes; recreate it with '
                    f'{STATS_TOOL}.')
        members = sorted(c for g in self.groups.values() for c in g)
        if members != list(range(n)):
            raise UserInputError(
                f'{self.path}: the groups {GROUP_NAMES} must hold every '
                f'class index 0..{n - 1} exactly once; fix them or recreate '
                f'the file with {STATS_TOOL}.')

    def check_classes(self,
                      num_classes: int,
                      where: str,
                      class_names: Optional[Sequence[str]] = None) -> None:
        """Raise if these statistics are for other classes.

        Args:
            num_classes (int): The number of classes of the model/dataset.
            where (str): What has ``num_classes`` classes, for the message.
            class_names (Sequence[str], optional): Their names, compared
                too when given.
        """
        fix = (f'Compute statistics for this dataset with `python '
               f'{STATS_TOOL} CONFIG --out FILE` and point stats_file at '
               f'them.')
        if num_classes != self.num_classes:
            raise UserInputError(
                f'the class statistics {self.path} are for '
                f'{self.num_classes} classes, but {where} has {num_classes}. '
                f'{fix}')
        if class_names is not None and tuple(class_names) != self.classes:
            diff = [(c, a, b)
                    for c, (a, b) in enumerate(zip(self.classes, class_names))
                    if a != b]
            c, a, b = diff[0]
            raise UserInputError(
                f'the class statistics {self.path} name class {c} {a!r}, '
                f'but {where} calls it {b!r} ({len(diff)} name(s) differ). '
                f'{fix}')

    def class_weights(self,
                      weighting: str = 'sqrt_inverse',
                      beta: float = 0.9999,
                      max_weight: float = 10.0) -> Tensor:
        """:func:`class_weights` of these pixel counts, warning by name
        about classes without pixels (they get ``max_weight``)."""
        empty = [
            name for name, n in zip(self.classes, self.pixel_counts) if n == 0
        ]
        if empty:
            warnings.warn(
                f'class(es) {", ".join(map(repr, empty))} have no pixels in '
                f'the class statistics {self.path}; they get the capped '
                f'weight max_weight={max_weight}.')
        return class_weights(
            torch.tensor(self.pixel_counts), weighting, beta, max_weight)


def load_class_groups(path: str) -> Dict[str, List[int]]:
    """Head / medium / tail class indices stored in a statistics file.

    Args:
        path (str): A file written by ``tools/analysis_tools/class_stats.py``.

    Returns:
        dict[str, list[int]]: ``{'head': [...], 'medium': [...],
        'tail': [...]}``, each from the most to the least frequent class.
    """
    return ClassStats.load(path).groups
