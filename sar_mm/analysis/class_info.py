"""Class names, training frequencies and head / medium / tail groups.

The analysis reports and plots group classes the way the evaluation of the
same config does, from the first of:

1. a class-statistics file (``--class-stats``, else the ``stats_file`` of
   the config's ``LTIoUMetric``): pixel frequencies and the head / medium /
   tail split of :mod:`sar_mm.utils.class_stats`;
2. the training ``class_counts`` in the dataset's metainfo (sar_mm's
   long-tailed classification datasets): many / medium / few shot groups
   of :func:`sar_mm.evaluation.metrics.lt_accuracy.shot_groups`, with the
   thresholds of the config's ``LTAccuracy``;
3. the label counts of the analysed split itself, split by
   :func:`sar_mm.utils.split_groups` (its default rule);
4. otherwise one group, ``'all'``.
"""
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from ..evaluation.metrics.lt_accuracy import shot_groups
from ..utils.class_stats import ClassStats, split_groups


@dataclass
class ClassInfo:
    """Names, frequencies and groups of a model's classes.

    Attributes:
        names (tuple[str]): Class names, by class index.
        frequencies (np.ndarray, optional): Share of each class in the
            training data (pixels or images), None if unknown.
        groups (OrderedDict[str, list[int]]): Group name -> classes, from
            the most to the least frequent; groups in head-to-tail order
            (see :func:`~sar_mm.utils.class_groups.head_to_tail` and
            :func:`~sar_mm.utils.class_groups.group_of_classes`).
        source (str): Where the groups come from, for reports.
    """
    names: tuple
    frequencies: Optional[np.ndarray]
    groups: 'OrderedDict[str, List[int]]'
    source: str

    @classmethod
    def from_stats(cls, stats: ClassStats) -> 'ClassInfo':
        """Names, pixel frequencies and groups of a class-statistics file."""
        return cls(
            tuple(stats.classes), np.asarray(stats.frequencies),
            OrderedDict(stats.groups), f'class statistics {stats.path}')

    @property
    def num_classes(self) -> int:
        return len(self.names)


def _evaluators(cfg: Config, split: str) -> List[dict]:
    evaluators = cfg.get(f'{split}_evaluator') or []
    if isinstance(evaluators, dict):
        evaluators = evaluators.get('metrics', evaluators)
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    return [e for e in evaluators if isinstance(e, dict)]


def _by_frequency(members: Sequence[int], counts: np.ndarray) -> List[int]:
    return sorted((int(c) for c in members), key=lambda c: (-counts[c], c))


def class_info(cfg: Config,
               num_classes: int,
               dataset_meta: Optional[dict] = None,
               split: str = 'val',
               seen_counts: Optional[Sequence[int]] = None,
               stats_file: Optional[str] = None) -> ClassInfo:
    """Names, frequencies and groups of the classes (see the module
    docstring for the order of sources).

    Args:
        cfg (Config): The model's config.
        num_classes (int): Number of classes of the model.
        dataset_meta (dict, optional): Metainfo of the analysed dataset.
        split (str): ``'val'`` or ``'test'``: whose evaluator to read.
            Defaults to ``'val'``.
        seen_counts (Sequence[int], optional): Labels (pixels or images) of
            each class in the analysed split.
        stats_file (str, optional): A class-statistics file; overrides the
            config's.

    Raises:
        UserInputError: The statistics file is invalid or for other
            classes.
    """
    dataset_meta = dataset_meta or {}
    names = dataset_meta.get('classes')
    evaluators = _evaluators(cfg, split)
    stats_file = stats_file or next(
        (e['stats_file'] for e in evaluators if e.get('stats_file')), None)
    if stats_file:
        stats = ClassStats.load(stats_file)
        stats.check_classes(num_classes, 'the model', class_names=names)
        return ClassInfo.from_stats(stats)

    names = tuple(names) if names else tuple(
        str(c) for c in range(num_classes))
    counts = dataset_meta.get('class_counts')
    if counts is not None and len(counts) == num_classes:
        counts = np.asarray(counts, dtype=np.float64)
        metric = next((e for e in evaluators if e.get('type') == 'LTAccuracy'),
                      {})
        many = metric.get('many_thresh', 100)
        few = metric.get('few_thresh', 20)
        groups = OrderedDict(
            (name, _by_frequency(members, counts))
            for name, members in shot_groups(counts, many, few).items())
        return ClassInfo(
            names, counts / max(counts.sum(), 1), groups,
            f'training class counts (many-shot > {many}, few-shot < {few} '
            f'images)')
    if seen_counts is not None:
        counts = np.asarray(seen_counts, dtype=np.float64)
        return ClassInfo(
            names, counts / max(counts.sum(), 1),
            OrderedDict(split_groups(counts)),
            f'label counts of the analysed {split} split')
    return ClassInfo(names, None, OrderedDict(all=list(range(num_classes))),
                     'no class statistics')
