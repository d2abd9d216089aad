"""Per-class statistics of a segmentation dataset: the file format.

This module is the single home of the class-statistics file written by
``tools/analysis_tools/class_stats.py``, which ``LongTailPixelSampler``,
``ClassBalancedCrossEntropyLoss`` and ``LTIoUMetric`` read. The group rule
is :mod:`sar_mm.utils.class_groups`; the class weights derived from the
counts are :mod:`sar_mm.models.losses.class_weights`.

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
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from .class_groups import (GROUP_NAMES, SPLIT_RULES, check_group_split,
                           split_groups)
from .errors import UserInputError

FORMAT = 'sar_mm.class_stats'
FORMAT_VERSION = 1
STATS_TOOL = 'tools/analysis_tools/class_stats.py'


def count_class_pixels(labels: Tensor,
                       num_classes: int,
                       ignore_index: Optional[int] = 255) -> Tensor:
    """Pixels (or any labelled items) of each class in a label tensor of
    any shape.

    Values equal to ``ignore_index`` or outside ``[0, num_classes)`` are not
    counted. A scatter-add, not ``torch.bincount``: on CUDA, bincount reads
    the largest label back to the host, which stalls the training step.

    Args:
        labels (Tensor): Integer labels.
        num_classes (int): Number of classes.
        ignore_index (int, optional): Label value not to count.
            Defaults to 255; None counts every value in range.

    Returns:
        Tensor: int64 counts of shape ``(num_classes, )``, on the device of
        ``labels``.
    """
    labels = labels.long().flatten()
    valid = (labels >= 0) & (labels < num_classes)
    if ignore_index is not None:
        valid &= labels != ignore_index
    # invalid pixels go to an extra bin, dropped after counting
    binned = torch.where(valid, labels, num_classes)
    counts = labels.new_zeros(num_classes + 1)
    return counts.scatter_add_(0, binned,
                               torch.ones_like(binned))[:num_classes]


STRATIFIED_FIX = ('make the split with `python '
                  'tools/dataset_converters/make_splits.py --stratified`, '
                  'which gives every class a labelled sample')


def unlabelled_classes(counts: Sequence[int],
                       class_names: Optional[Sequence[str]] = None
                       ) -> List[str]:
    """The classes with no labelled pixel (or image) in a split.

    Args:
        counts (Sequence[int]): Labelled pixels (or images) per class.
        class_names (Sequence[str], optional): Their names; without them
            a class is named by its index.

    Returns:
        list[str]: The names (or indices, as strings) of the classes whose
        count is 0, in class order; empty when every class is labelled.
    """
    names = list(class_names) if class_names is not None else \
        [str(c) for c in range(len(counts))]
    return [name for name, n in zip(names, counts) if n == 0]


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


def load_class_groups(path: str) -> Dict[str, List[int]]:
    """Head / medium / tail class indices stored in a statistics file.

    Args:
        path (str): A file written by ``tools/analysis_tools/class_stats.py``.

    Returns:
        dict[str, list[int]]: ``{'head': [...], 'medium': [...],
        'tail': [...]}``, each from the most to the least frequent class.
    """
    return ClassStats.load(path).groups
