from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ...utils.class_groups import (GROUP_NAMES, check_group_split,
                                   group_of_classes, head_to_tail,
                                   split_groups)
from ...utils.class_stats import ClassStats
from .metric_key_name import metric_key_name


def _percent(value) -> float:
    """IoUMetric's rounding (float32, 2 decimals) as a plain float."""
    return round(float(np.round(value * 100, 2)), 2)


@METRICS.register_module()
class LTIoUMetric(IoUMetric):
    """:class:`IoUMetric` with per-class and head / medium / tail results
    in the metrics dict, so they reach the logs, ``scalars.json``,
    TensorBoard, checkpoint selection and ``tools/test.py --work-dir``.

    A drop-in for mmseg's ``IoUMetric``: same arguments, same ``aAcc``,
    ``mIoU``, ``mAcc`` (and ``mDice``, ``mFscore``...) values. Added keys,
    in percent like the others, for every per-class metric ``M`` the
    upstream table shows (``IoU`` and ``Acc`` by default):

    - ``M.<class>``: the value of one class, e.g. ``IoU.car``
      (see :func:`metric_key_name` for names with spaces);
    - ``mM.<group>``: the mean over the classes of a group, e.g.
      ``mIoU.head``, ``mIoU.medium``, ``mIoU.tail``, ``mAcc.tail``.

    Undefined values (NaN: the IoU of a class absent from both the ground
    truth and the predictions of the evaluated split, the Acc of a class
    absent from its ground truth) have no per-class key, and the group
    means skip them, as ``mIoU`` does; a group with no defined value has no
    key. Set ``nan_to_num`` to report them as a number instead.

    Groups and class frequencies come from a statistics file of
    ``tools/analysis_tools/class_stats.py`` (use the training split's: the
    long tail is a property of the training data), or else from the ground
    truth seen during this evaluation, split by ``group_rule`` and
    ``group_bounds`` (see :func:`sar_mm.utils.split_groups`). The printed
    table adds the frequency and group of each class, sorted from head to
    tail, and a table of the group means. For a run trained on a labelled
    split (semi-supervised, or a supervised baseline on the same split),
    :class:`~sar_mm.engine.hooks.ClassCountsHook` sets
    :attr:`train_counts` to the split's class pixels: the frequency column
    then shows what the model was trained on (a class with 0 there was
    never seen labelled), while the groups stay those of the statistics
    file, so that runs on different splits are grouped alike.

    Args:
        stats_file (str, optional): Class statistics giving the groups.
            Defaults to None.
        group_rule (str): ``'class_share'`` or ``'pixel_share'``, used
            without ``stats_file``. Defaults to ``'class_share'``.
        group_bounds (Sequence[float], optional): Cumulative shares ending
            head and medium, used without ``stats_file``. Defaults to the
            rule's.
        **kwargs: Arguments of :class:`mmseg.evaluation.IoUMetric`.
    """

    def __init__(self,
                 stats_file: Optional[str] = None,
                 group_rule: str = 'class_share',
                 group_bounds: Optional[Sequence[float]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.stats = ClassStats.load(stats_file) if stats_file else None
        #: Pixels of each class in the labelled training split, for the
        #: frequency column; None: the statistics file's or the ground
        #: truth's frequencies.
        self.train_counts: Optional[List[int]] = None
        self.group_rule = group_rule
        self.group_bounds = check_group_split(group_rule, group_bounds)

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        # checked when the evaluator is built, not after a whole evaluation
        classes = (dataset_meta or {}).get('classes')
        if self.stats is not None and classes is not None:
            self.stats.check_classes(
                len(classes), 'the evaluated dataset', class_names=classes)
        self._dataset_meta = dataset_meta

    def _groups_and_frequencies(self, total_area_label: np.ndarray):
        if self.stats is not None:
            groups = self.stats.groups
            frequencies = np.asarray(self.stats.frequencies)
        else:
            counts = np.asarray(total_area_label, dtype=np.float64)
            groups = split_groups(counts, self.group_rule, self.group_bounds)
            frequencies = counts / max(counts.sum(), 1)
        if self.train_counts is not None:
            counts = np.asarray(self.train_counts, dtype=np.float64)
            frequencies = counts / max(counts.sum(), 1)
        return groups, frequencies

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the metrics from the accumulated per-image areas.

        Args:
            results (list): ``intersect_and_union`` of every image.

        Returns:
            dict[str, float]: IoUMetric's summary, then the group means and
            the per-class values.
        """
        if self.format_only:
            return super().compute_metrics(results)
        logger: MMLogger = MMLogger.get_current_instance()
        areas = [sum(area) for area in zip(*results)]
        per_class = self.total_area_to_metrics(*areas, self.metrics,
                                               self.nan_to_num, self.beta)
        # the summary exactly as IoUMetric computes it
        metrics = OrderedDict()
        for name, values in per_class.items():
            key = name if name == 'aAcc' else 'm' + name
            metrics[key] = _percent(np.nanmean(values))
        per_class.pop('aAcc')

        class_names = self.dataset_meta['classes']
        groups, frequencies = self._groups_and_frequencies(areas[3])
        for name, values in per_class.items():
            for group in GROUP_NAMES:
                defined = values[groups[group]]
                defined = defined[~np.isnan(defined)]
                if defined.size:
                    metrics[f'm{name}.{group}'] = _percent(defined.mean())
        for name, values in per_class.items():
            for class_name, value in zip(class_names, values):
                if not np.isnan(value):
                    key = f'{name}.{metric_key_name(class_name)}'
                    metrics[key] = _percent(value)

        self._log_tables(per_class, class_names, groups, frequencies, metrics,
                         logger)
        return metrics

    def _log_tables(self, per_class: Dict[str, np.ndarray],
                    class_names: Sequence[str], groups: Dict[str, List[int]],
                    frequencies: np.ndarray, metrics: Dict[str, float],
                    logger: MMLogger) -> None:
        source = (f'class statistics {self.stats.path}' if self.stats
                  is not None else 'the ground truth of this evaluation')
        source = (f'groups from {source}, frequencies from the labelled '
                  f'training split' if self.train_counts is not None else
                  f'groups and frequencies from {source}')
        table = PrettyTable()
        order = head_to_tail(groups)
        group_of = group_of_classes(groups)
        table.add_column('Class', [class_names[c] for c in order])
        table.add_column('Group', [group_of[c] for c in order])
        table.add_column('Freq (%)',
                         [f'{frequencies[c] * 100:.3g}' for c in order])
        for name, values in per_class.items():
            table.add_column(name, [_percent(values[c]) for c in order])
        print_log(f'per class results, head to tail ({source}):', logger)
        print_log('\n' + table.get_string(), logger=logger)

        group_table = PrettyTable()
        group_table.add_column('Group', list(GROUP_NAMES))
        group_table.add_column('Classes',
                               [len(groups[g]) for g in GROUP_NAMES])
        for name in per_class:
            group_table.add_column(f'm{name}', [
                metrics.get(f'm{name}.{g}', float('nan')) for g in GROUP_NAMES
            ])
        print_log('per group results:', logger)
        print_log('\n' + group_table.get_string(), logger=logger)
