from typing import List, Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS

from ...evaluation.metrics import LTAccuracy
from ...models.utils.class_counts import ClassCountsMixin
from ...utils.errors import UserInputError


def dataset_class_counts(dataset) -> Optional[List[int]]:
    """Per-class image counts of a dataset: its ``metainfo['class_counts']``
    (every sar_mm long-tailed dataset has them), else counted from
    ``get_gt_labels()`` (any mmpretrain dataset), else None."""
    counts = (getattr(dataset, 'metainfo', None) or {}).get('class_counts')
    if counts is not None:
        return [int(n) for n in counts]
    if hasattr(dataset, 'get_gt_labels'):
        num_classes = len(dataset.metainfo.get('classes') or ())
        labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64)
        return np.bincount(labels, minlength=num_classes).tolist()
    return None


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class ClassCountsHook(Hook):
    """Give the training set's class counts to every module that needs them.

    Before training, the counts of the training dataset actually built
    (so ``--cfg-options train_dataloader.dataset.imbalance_ratio=50`` is
    followed) go to every :class:`~sar_mm.models.utils.ClassCountsMixin`
    module of the model (logit-adjusted losses and heads, the re-balanced
    contrastive loss), which keep them in a checkpointed buffer. During the
    same run, :class:`~sar_mm.evaluation.LTAccuracy` metrics without
    explicit ``class_counts`` group classes by these counts too.

    When testing a checkpoint that holds no counts, modules that need them
    get the evaluated dataset's ``class_counts`` (sar_mm's long-tailed test
    splits carry their training counts). Counts already loaded from a
    checkpoint are left alone.

    All long-tailed dataset configs of sar_mm add this hook::

        custom_hooks = [dict(type='ClassCountsHook')]
    """

    priority = 'HIGH'

    def __init__(self):
        self._train_counts: Optional[List[int]] = None

    @staticmethod
    def _count_modules(runner) -> List[ClassCountsMixin]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return [m for m in model.modules() if isinstance(m, ClassCountsMixin)]

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        counts = dataset_class_counts(dataset)
        modules = self._count_modules(runner)
        if counts is None:
            needy = [type(m).__name__ for m in modules if m.needs_class_counts]
            if needy:
                raise UserInputError(
                    f'{", ".join(needy)} need(s) the training class counts, '
                    f'but the training dataset ({type(dataset).__name__}) '
                    f"has no metainfo['class_counts'] and no get_gt_labels()")
            return
        for module in modules:
            module.set_class_counts(counts)
        self._train_counts = counts

    def _before_eval(self, runner, loop) -> None:
        if self._train_counts is not None:
            for metric in loop.evaluator.metrics:
                if isinstance(metric, LTAccuracy) and \
                        metric.class_counts is None:
                    metric.class_counts = list(self._train_counts)
        missing = [
            m for m in self._count_modules(runner)
            if m.needs_class_counts and not m.has_class_counts
        ]
        # Only a test split's *training* counts will do, never its own.
        counts = loop.dataloader.dataset.metainfo.get('class_counts')
        if missing and counts is not None:
            for module in missing:
                module.set_class_counts(counts)

    def before_val(self, runner) -> None:
        self._before_eval(runner, runner.val_loop)

    def before_test(self, runner) -> None:
        self._before_eval(runner, runner.test_loop)
