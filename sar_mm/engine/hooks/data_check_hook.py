import logging
from collections import Counter
from typing import Iterator, Optional, Tuple

import torch
from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.models.decode_heads import STDCHead
from mmseg.models.losses import CrossEntropyLoss
from mmseg.registry import HOOKS as SEG_HOOKS
from mmseg.structures import SegDataSample
from torch import nn

from ...datasets.mask_check import check_dataset_masks
from ...models.utils import check_label_range, out_of_range
from ...utils.errors import UserInputError


#: Heads whose classes are not the dataset's: STDC's boundary head predicts
#: edge / no edge (2 classes) from the labels, whatever the dataset.
NOT_DATASET_CLASSES = (STDCHead, )


def class_weighted_ce(model: nn.Module) -> Iterator[Tuple[str, int]]:
    """``(config path, ignore index)`` of every mmseg ``CrossEntropyLoss``
    with ``class_weight`` whose head ignores a label outside its classes.

    mmseg 1.2.2's ``cross_entropy`` indexes the class weights with the raw
    labels to average them, so such a loss stops with an ``IndexError`` on
    the first batch holding an ignored pixel (CGNet's and PIDNet's
    Cityscapes configs, with or without SAR).
    """
    for path, head in classifier_heads(model):
        losses = getattr(head, 'loss_decode', None)
        if not isinstance(losses, nn.ModuleList):
            losses = [losses]
        for i, loss in enumerate(losses):
            if isinstance(loss, CrossEntropyLoss) and \
                    loss.class_weight is not None and not loss.use_sigmoid \
                    and not 0 <= head.ignore_index < head.num_classes:
                where = f'{path}.loss_decode' + (
                    f'[{i}]' if len(losses) > 1 else '')
                yield where, head.ignore_index


def classifier_heads(model: nn.Module) -> Iterator[Tuple[str, nn.Module]]:
    """``(config path, head)`` of every head of a model that classifies
    into the dataset's classes: mmseg decode/auxiliary heads, mmpretrain
    ``head`` (those with ``num_classes``, except
    :data:`NOT_DATASET_CLASSES`)."""
    for name in ('decode_head', 'auxiliary_head', 'head'):
        heads = getattr(model, name, None)
        if heads is None:
            continue
        if not isinstance(heads, nn.ModuleList):
            heads = [heads]
        for i, head in enumerate(heads):
            if getattr(head, 'num_classes', None) is not None and \
                    not isinstance(head, NOT_DATASET_CLASSES):
                path = f'model.{name}' if len(heads) == 1 \
                    else f'model.{name}[{i}]'
                yield path, head


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class DataCheckHook(Hook):
    """Check the data against the model before it can fail obscurely.

    Before training and testing: the model's heads have as many classes as
    the dataset (STDC's 2-class boundary head excepted), and every mask of
    every loader the run uses (train and val before training, test before
    testing; labelled sets only) is single-channel, has its image's width
    and height and holds classes or the ignore index only
    (:func:`~sar_mm.datasets.mask_check.check_dataset_masks`, in the
    loader's ``num_workers`` processes): a bad val mask stops the run
    before the first iteration instead of at the first validation. Stray
    values in a val or test mask are only warned about (the IoU metrics
    leave them out). This reads every mask once, a few seconds per 1,000
    masks (``benchmarks/results/mask_check.md``); ``check_masks=False``
    skips it for datasets too large to read at every start.

    Before every training iteration, on the CPU batch (before it reaches
    the device):
    float inputs are finite, label maps are single-channel, every label is
    a class or the ignore index of every head that learns from it (mmseg
    decode and auxiliary heads with their pixel samplers and losses, SAR,
    mmpretrain heads), each label map has its image's size, and no ignored
    pixel meets a loss that fails on it (:func:`class_weighted_ce`).
    After every iteration: every loss term is finite; the first NaN/inf is
    reported with its name instead of training on into NaN weights.

    In validation and testing, label maps must be single-channel too, the
    images of an mmseg batch must have one size (``SegDataPreProcessor``
    asserts it), and label values that are neither a class nor the ignore
    index, which ``IoUMetric`` and ``LTIoUMetric`` leave out without a word,
    are counted and reported in one warning at the end of the evaluation.

    This is the only label check of a training step: the modules on the
    device never read a label back to the host to check it, which would
    stall the device every step.

    Without these checks, such problems surface as a CUDA device-side
    assert, a "Target out of bounds" or a shape error deep in a loss, or
    train silently on garbage. ``tools/train.py`` and ``tools/test.py`` add
    this hook to every run (and check the datasets themselves before
    building the Runner, see :func:`sar_mm.engine.launch.check_datasets`).

    Args:
        check_masks (bool): Whether to read every mask at the start of a
            run. Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, check_masks: bool = True) -> None:
        self.check_masks = check_masks
        # loaders whose masks were read: val is checked once, not per round
        self._checked_loaders = set()
        # stray label values of the running evaluation: value -> pixels
        self._stray: Counter = Counter()
        self._stray_maps = 0

    @staticmethod
    def _outer_model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _model(self, runner) -> nn.Module:
        model = self._outer_model(runner)
        # semi-supervised models: the heads are the student's
        return getattr(model, 'student', model)

    def _check_classes(self, runner, loader_name: str) -> None:
        dataset = getattr(runner, loader_name).dataset
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes:
            return
        # a semi-supervised model's heads are set in its segmentor dict
        key = 'model.segmentor' if hasattr(self._outer_model(runner),
                                           'student') else 'model'
        for path, head in classifier_heads(self._model(runner)):
            path = key + path[len('model'):]
            if head.num_classes != len(classes):
                shown = ', '.join(map(str, classes[:5]))
                more = ', ...' if len(classes) > 5 else ''
                raise UserInputError(
                    f'{path}.num_classes is {head.num_classes} but the '
                    f'{loader_name.split("_")[0]} dataset '
                    f'({type(dataset).__name__}) has {len(classes)} classes '
                    f'({shown}{more}). Set num_classes={len(classes)} for '
                    f'every head in the config.')

    def _class_heads(self, runner) -> list:
        return [head for _, head in classifier_heads(self._model(runner))]

    @staticmethod
    def _label_map(sample) -> torch.Tensor:
        """The (1, H, W) label map of a sample, refusing colour images."""
        labels = sample.gt_sem_seg.data
        if labels.dim() != 3 or labels.shape[0] != 1:
            # PackSegInputs keeps an (H, W, 3) map as it is
            raise UserInputError(
                f'label map {sample.metainfo.get("seg_map_path", "")} has '
                f'shape {tuple(labels.shape)} after the pipeline, but a '
                f'label map must be single-channel: one class index per '
                f'pixel, saved as a grayscale or palette PNG, not as an RGB '
                f'image. Convert the annotations to class indices.')
        return labels

    def _check_mask_files(self, runner, loader_name: str) -> None:
        """:func:`check_dataset_masks` of a loader, once per run; stray
        values in val / test masks are only warned about."""
        if not self.check_masks or loader_name in self._checked_loaders:
            return
        self._checked_loaders.add(loader_name)
        loader = getattr(runner, loader_name)
        check_dataset_masks(
            loader.dataset,
            f'{loader_name}.dataset',
            nproc=max(1, loader.num_workers),
            allow_stray=loader_name != 'train_dataloader')

    def before_train(self, runner) -> None:
        self._check_classes(runner, 'train_dataloader')
        self._check_mask_files(runner, 'train_dataloader')
        if runner.val_loop is not None:
            self._check_mask_files(runner, 'val_dataloader')

    def before_val(self, runner) -> None:
        self._check_mask_files(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        self._check_classes(runner, 'test_dataloader')
        self._check_mask_files(runner, 'test_dataloader')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if not data_batch or 'data_samples' not in data_batch:
            return
        # what each head accepts: its classes and its ignore value (image
        # classification heads have none)
        rules = {(head.num_classes, getattr(head, 'ignore_index', None))
                 for head in self._class_heads(runner)}
        if not rules:
            return
        samples, inputs = data_batch['data_samples'], data_batch.get('inputs')
        weighted_ce = list(class_weighted_ce(self._model(runner)))
        if isinstance(samples, dict):  # MultiBranch batches: every branch
            for branch, branch_samples in samples.items():
                branch_inputs = inputs.get(branch) if isinstance(
                    inputs, dict) else None
                keep = [i for i, s in enumerate(branch_samples)
                        if s is not None]
                self._check_samples(
                    [branch_samples[i] for i in keep],
                    None if branch_inputs is None else
                    [branch_inputs[i] for i in keep], rules, weighted_ce)
        else:
            self._check_samples(samples, inputs, rules, weighted_ce)

    def _check_samples(self, samples, inputs, rules, weighted_ce) -> None:
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        # multi-view batches hold one tensor per view, not per sample
        if not isinstance(inputs, list) or len(inputs) != len(samples) or \
                not all(isinstance(x, torch.Tensor) for x in inputs):
            inputs = None
        for i, sample in enumerate(samples):
            if inputs is not None and inputs[i].is_floating_point() \
                    and not torch.isfinite(inputs[i]).all():
                raise UserInputError(
                    f'input {sample.metainfo.get("img_path", i)} holds NaN '
                    f'or inf values; fix or drop that sample.')
            if 'gt_sem_seg' in sample:
                labels = self._label_map(sample)
                if inputs is not None and \
                        inputs[i].shape[-2:] != labels.shape[-2:]:
                    raise UserInputError(
                        f'label map of {sample.metainfo.get("img_path")} '
                        f'is {tuple(labels.shape[-2:])} but the image is '
                        f'{tuple(inputs[i].shape[-2:])} after the pipeline; '
                        f'image and annotation must have the same size.')
                for where, value in weighted_ce:
                    if (labels == value).any():
                        raise UserInputError(
                            f"{where} is mmseg's CrossEntropyLoss with "
                            f'class_weight, which in mmseg 1.2.2 indexes the '
                            f'weights with the raw labels and fails on the '
                            f'ignore label {value}. Put dict(type='
                            f"'ClassBalancedCrossEntropyLoss', class_weight="
                            f'[...]) in its place (with _delete_=True when '
                            f"it overrides a base config's dict): the "
                            f'class-weighted mean over the valid pixels.')
            elif 'gt_label' in sample:
                labels = torch.as_tensor(sample.gt_label)
            else:
                continue
            # a label map's values are the mask file's, an image label's
            # the image's
            source = sample.metainfo.get('seg_map_path') or \
                sample.metainfo.get('img_path')
            for num_classes, ignore in sorted(rules, key=str):
                check_label_range(labels, num_classes,
                                  () if ignore is None else (ignore, ),
                                  source)

    def _count_stray_labels(self, runner, data_batch) -> None:
        heads = self._class_heads(runner)
        if not heads or not data_batch or 'data_samples' not in data_batch:
            return
        ignore = tuple({getattr(h, 'ignore_index', 255) for h in heads})
        for sample in data_batch['data_samples']:
            if 'gt_sem_seg' not in sample:
                continue
            labels = self._label_map(sample)
            stray = labels[out_of_range(labels, heads[0].num_classes,
                                        ignore)]
            if stray.numel():
                values, counts = stray.unique(return_counts=True)
                self._stray.update(dict(zip(values.tolist(),
                                            counts.tolist())))
                self._stray_maps += 1

    def _report_stray_labels(self, runner, split: str) -> None:
        # every rank evaluated a part of the split: one object gather per
        # evaluation, on every rank
        stray, maps = Counter(), 0
        for counts, num_maps in all_gather_object(
            (dict(self._stray), self._stray_maps)):
            stray.update(counts)
            maps += num_maps
        self._stray.clear()
        self._stray_maps = 0
        if stray:
            print_log(
                f'the {split} ground truth holds {sum(stray.values())} '
                f'pixel(s) in {maps} label map(s) with value(s) '
                f'{sorted(stray)[:10]}, neither a class in [0, '
                f'{self._class_heads(runner)[0].num_classes}) nor the ignore '
                f'index; the IoU metrics leave them out. Check num_classes, '
                f'reduce_zero_label or label_map of the {split} dataset.',
                logger='current',
                level=logging.WARNING)

    @staticmethod
    def _check_batch_size(data_batch, split: str) -> None:
        """mmseg's ``SegDataPreProcessor`` asserts one image size per
        evaluation batch: say so in one line, with the fix."""
        if not data_batch or 'data_samples' not in data_batch:
            return
        inputs, samples = data_batch.get('inputs'), data_batch['data_samples']
        if not isinstance(inputs, list) or not samples or \
                not isinstance(samples[0], SegDataSample):
            return
        sizes = {tuple(x.shape[-2:]) for x in inputs}
        if len(sizes) > 1:
            raise UserInputError(
                f'the images of one {split} batch have different sizes '
                f'{sorted(sizes)}, which mmseg cannot stack at {split} time. '
                f'Set {split}_dataloader.batch_size=1 (e.g. --cfg-options '
                f'{split}_dataloader.batch_size=1), or resize the images to '
                f'one size in the {split} pipeline.')

    def before_val_iter(self, runner, batch_idx: int,
                        data_batch: Optional[dict] = None) -> None:
        self._check_batch_size(data_batch, 'val')
        self._count_stray_labels(runner, data_batch)

    def before_test_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None) -> None:
        self._check_batch_size(data_batch, 'test')
        self._count_stray_labels(runner, data_batch)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._report_stray_labels(runner, 'val')

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._report_stray_labels(runner, 'test')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        # the log values are synchronised to the host for logging anyway
        bad = {
            k: float(v)
            for k, v in (outputs or {}).items()
            if 'loss' in k and not torch.isfinite(torch.as_tensor(v)).all()
        }
        if bad:
            raise UserInputError(
                f'non-finite loss at iteration {runner.iter + 1}: {bad}. '
                f'Check the inputs and labels of this batch, lower the '
                f'learning rate, or try without --amp; the checkpoints '
                f'written so far are intact.')
