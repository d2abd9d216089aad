from typing import List, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import DATASETS
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS
from torch import nn

from ...analysis.label_counts import labelled_pixel_counts
from ...datasets.semi_split_dataset import SemiSplitDataset
from ...evaluation.metrics import LTAccuracy, LTIoUMetric
from ...models.utils.class_counts import ClassCountsMixin
from ...utils.class_stats import STRATIFIED_FIX, unlabelled_classes
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


def config_train_class_counts(cfg) -> Optional[List[int]]:
    """Class counts of the training dataset of a config, built without its
    data where the dataset allows (``lazy_init``: sar_mm's long-tailed
    datasets compute their counts from their arguments); None without a
    ``train_dataloader.dataset``."""
    loader = (cfg or {}).get('train_dataloader') or {}
    if 'dataset' not in loader:
        return None
    with DATASETS.switch_scope_and_registry(None) as registry:
        dataset = registry.build(dict(loader['dataset'], lazy_init=True))
    return dataset_class_counts(dataset)


#: Checkpoint meta key of the labelled split's class pixels.
_PIXELS_KEY = 'labelled_class_pixels'


def is_labelled_split(dataset) -> bool:
    """Whether a training set is (or holds) a labelled split of a
    segmentation dataset: a :class:`~sar_mm.datasets.SemiSplitDataset`
    (semi-supervised training, or a supervised baseline on its split)."""
    return any(
        isinstance(d, SemiSplitDataset) and d.labelled
        for d in getattr(dataset, 'datasets', [dataset]))


def warn_unlabelled_classes(counts: Sequence[int], dataset, logger) -> None:
    """One warning naming the classes with no labelled pixel in the
    training split, and the fix; nothing when every class has some."""
    missing = unlabelled_classes(counts, dataset.metainfo.get('classes'))
    if missing:
        logger.warning(
            f'the labelled training split has no pixel of class(es) '
            f'{missing}: the model never sees them labelled (expect an IoU '
            f'near 0), and the pseudo-label strategies that read the '
            f'labelled prior never pseudo-label them. To label every class, '
            f'{STRATIFIED_FIX}.')


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class ClassCountsHook(Hook):
    """Give the training set's class counts to every module and metric that
    needs them.

    The counts are always the training split's: the training dataset
    actually built (so ``--cfg-options
    train_dataloader.dataset.imbalance_ratio=50`` is followed; for a
    segmentation set without ``class_counts`` metadata, the class pixels
    of its labelled label maps, read once when a module needs them, e.g.
    distribution matching), or, when
    testing (``tools/test.py``), the config's training dataset, built
    without loading its data (:func:`config_train_class_counts`). They go
    to every :class:`~sar_mm.models.utils.ClassCountsMixin` module of the
    model (logit-adjusted losses and heads, the re-balanced contrastive
    loss), which keep them in a checkpointed buffer, and to every
    :class:`~sar_mm.evaluation.LTAccuracy` without explicit
    ``class_counts``, which groups classes by them. Only a config without
    a training set falls back to the evaluated split's ``class_counts``
    (sar_mm's long-tailed test splits carry training counts).

    A run trained on a labelled split (:func:`is_labelled_split`:
    semi-supervised, or a supervised baseline on the split) has its
    labelled class pixels read at the start whatever the modules need:
    one warning names the classes with none (and the fix, ``make_splits.py
    --stratified``), and every :class:`~sar_mm.evaluation.LTIoUMetric`
    shows them as its frequency column. They are saved in the checkpoints'
    ``meta``, so ``tools/test.py`` shows them too.

    Counts loaded from a checkpoint are kept; when they differ from the
    config's training set (a checkpoint tested with another imbalance
    ratio than it was trained with), testing stops with one line naming
    both instead of grouping classes by other counts than the model's.

    ``tools/train.py`` and ``tools/test.py`` add it to every run, whatever
    ``custom_hooks`` the config lists; the long-tailed dataset configs of
    sar_mm list it too, for runs through other tools::

        custom_hooks = [dict(type='ClassCountsHook')]
    """

    priority = 'HIGH'

    def __init__(self):
        self._train_counts: Optional[List[int]] = None
        # the labelled split's class pixels, for LTIoUMetric
        self._pixel_counts: Optional[List[int]] = None

    @staticmethod
    def _count_modules(runner) -> List[ClassCountsMixin]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        # an EMAHook's averaged copy too: it copies the model's buffers
        # every step, so its count buffers must have the same size
        roots = [model] + [
            hook.ema_model for hook in runner.hooks
            if isinstance(getattr(hook, 'ema_model', None), nn.Module)
        ]
        return [
            m for root in roots for m in root.modules()
            if isinstance(m, ClassCountsMixin)
        ]

    def before_train(self, runner) -> None:
        # a training run shows its own split, not a loaded checkpoint's
        self._pixel_counts = None
        dataset = runner.train_dataloader.dataset
        counts = dataset_class_counts(dataset)
        modules = self._count_modules(runner)
        needed = any(m.needs_class_counts for m in modules)
        on_split = is_labelled_split(dataset)
        if counts is None and (needed or on_split):
            # segmentation: the class pixels of the labelled label maps
            counts = labelled_pixel_counts(dataset)
            if counts is not None:
                self._pixel_counts = counts
                warn_unlabelled_classes(counts, dataset, runner.logger)
            if not needed:
                return
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
        if self._pixel_counts is not None:
            for metric in loop.evaluator.metrics:
                if isinstance(metric, LTIoUMetric):
                    metric.train_counts = list(self._pixel_counts)
        metrics = [
            m for m in loop.evaluator.metrics
            if isinstance(m, LTAccuracy) and m.class_counts is None
        ]
        modules = self._count_modules(runner)
        if not metrics and not modules:
            return
        if self._train_counts is None:
            self._train_counts = config_train_class_counts(runner.cfg)
        counts = self._train_counts
        if counts is None:
            counts = loop.dataloader.dataset.metainfo.get('class_counts')
        if counts is None:
            return
        for module in modules:
            if not module.has_class_counts:
                if module.needs_class_counts:
                    module.set_class_counts(counts)
            elif self._train_counts is not None and \
                    module.class_counts.tolist() != list(counts):
                raise UserInputError(
                    f'the model\'s {type(module).__name__} holds the class '
                    f'counts it was trained with, '
                    f'{[int(n) for n in module.class_counts.tolist()]}, but '
                    f'the training set of this config has {list(counts)}. '
                    f'Test with the config the checkpoint was trained with '
                    f'(e.g. the same imbalance_ratio).')
        for metric in metrics:
            metric.class_counts = list(counts)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # the split's class pixels go with the weights, so that testing
        # them shows the frequencies of the split they were trained on
        if self._pixel_counts is not None:
            checkpoint.setdefault('meta', {})[_PIXELS_KEY] = list(
                self._pixel_counts)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = (checkpoint.get('meta') or {}).get(_PIXELS_KEY)
        if saved is not None and self._pixel_counts is None:
            self._pixel_counts = [int(n) for n in saved]

    def before_val(self, runner) -> None:
        self._before_eval(runner, runner.val_loop)

    def before_test(self, runner) -> None:
        self._before_eval(runner, runner.test_loop)
