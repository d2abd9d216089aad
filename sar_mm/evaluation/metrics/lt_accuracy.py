import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS

from ...utils.errors import UserInputError
from .metric_key_name import metric_key_name

EVALUATED_SPLIT = 'evaluated_split'


def shot_groups(class_counts: Sequence[int], many_thresh: int,
                few_thresh: int) -> Dict[str, np.ndarray]:
    """Class indices of the many-, medium- and few-shot groups.

    The convention of the long-tailed literature (Liu et al., "Large-Scale
    Long-Tailed Recognition in an Open World", CVPR 2019): many-shot classes
    have more than ``many_thresh`` training images, few-shot classes fewer
    than ``few_thresh``, medium-shot the rest.
    """
    counts = np.asarray(class_counts)
    many, few = counts > many_thresh, counts < few_thresh
    return dict(
        many=np.flatnonzero(many),
        medium=np.flatnonzero(~many & ~few),
        few=np.flatnonzero(few))


@METRICS.register_module()
class LTAccuracy(BaseMetric):
    """Top-1 accuracy, overall and by shot group, with per-class accuracy.

    Results (prefixed ``accuracy/``): ``top1`` over all test samples;
    ``many``, ``medium`` and ``few``, the mean per-class accuracy over the
    classes of each group (:func:`shot_groups`; an empty group is left out);
    and ``per_class/<class>`` for every class, named by
    :func:`~sar_mm.evaluation.metric_key_name` as ``LTIoUMetric``'s keys
    (``'traffic light'`` -> ``per_class/traffic_light``).

    Args:
        class_counts (Sequence[int] | str, optional): Training images per
            class, which define the groups. Defaults to those of the run's
            training set, which :class:`~sar_mm.engine.hooks.ClassCountsHook`
            gives (sar_mm's tools add it to every run). ``'evaluated_split'``
            takes the evaluated dataset's ``metainfo['class_counts']``
            instead, for a linear probe trained on a balanced set and scored
            by the groups of a long-tailed pre-training set (sar_mm's test
            splits carry the counts of their ``imbalance_ratio``).
        many_thresh (int): Many-shot classes have more training images than
            this. Defaults to 100.
        few_thresh (int): Few-shot classes have fewer. Defaults to 20.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to ``'accuracy'``.
    """
    default_prefix: Optional[str] = 'accuracy'

    def __init__(self,
                 class_counts: Union[Sequence[int], str, None] = None,
                 many_thresh: int = 100,
                 few_thresh: int = 20,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if few_thresh > many_thresh:
            raise ValueError(f'few_thresh ({few_thresh}) must not exceed '
                             f'many_thresh ({many_thresh})')
        if isinstance(class_counts, str) and \
                class_counts != EVALUATED_SPLIT:
            raise UserInputError(
                f'LTAccuracy.class_counts is a list of training counts or '
                f"'{EVALUATED_SPLIT}', got {class_counts!r}")
        self.class_counts = class_counts if class_counts in (
            None, EVALUATED_SPLIT) else list(class_counts)
        self.many_thresh = many_thresh
        self.few_thresh = few_thresh

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append((int(sample['pred_label']),
                                 int(sample['gt_label'])))

    def _class_counts(self) -> List[int]:
        if self.class_counts == EVALUATED_SPLIT:
            counts = (self.dataset_meta or {}).get('class_counts')
            if counts is None:
                raise UserInputError(
                    f"LTAccuracy(class_counts='{EVALUATED_SPLIT}') needs an "
                    f"evaluated dataset whose metainfo has 'class_counts' "
                    f'(sar_mm long-tailed datasets have them).')
            return list(counts)
        if self.class_counts is None:
            raise UserInputError(
                'LTAccuracy has no training class counts: run it with '
                "dict(type='ClassCountsHook') in custom_hooks (sar_mm's "
                'tools add it), which takes them from the training set, or '
                'pass class_counts=[...].')
        return list(self.class_counts)

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        counts = self._class_counts()
        num_classes = len(counts)
        pred, gt = np.array(results, dtype=np.int64).reshape(-1, 2).T
        if gt.size and gt.max() >= num_classes:
            raise UserInputError(
                f'test label {gt.max()} is outside the {num_classes} classes '
                f'of class_counts')
        total = np.bincount(gt, minlength=num_classes)
        correct = np.bincount(gt[pred == gt], minlength=num_classes)
        with np.errstate(invalid='ignore', divide='ignore'):
            per_class = 100.0 * correct / total
        metrics = dict(top1=float(100.0 * correct.sum() / max(total.sum(), 1)))
        for name, members in shot_groups(counts, self.many_thresh,
                                         self.few_thresh).items():
            present = members[total[members] > 0]
            if len(present):
                metrics[name] = float(per_class[present].mean())
            else:
                print_log(
                    f'LTAccuracy: no {name}-shot class in the test set with '
                    f'many_thresh={self.many_thresh}, '
                    f'few_thresh={self.few_thresh}; {name!r} is left out.',
                    logger='current',
                    level=logging.WARNING)
        names = (self.dataset_meta or {}).get('classes') or range(num_classes)
        for c, name in enumerate(names):
            if total[c]:
                key = f'per_class/{metric_key_name(name)}'
                metrics[key] = float(per_class[c])
        return metrics
