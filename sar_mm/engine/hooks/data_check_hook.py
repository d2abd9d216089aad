from typing import Iterator, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS
from torch import nn

from ...models.utils import check_label_range
from ...utils.errors import UserInputError


def classifier_heads(model: nn.Module) -> Iterator[Tuple[str, nn.Module]]:
    """``(config path, head)`` of every head of a model that has
    ``num_classes``: mmseg decode/auxiliary heads, mmpretrain ``head``."""
    for name in ('decode_head', 'auxiliary_head', 'head'):
        heads = getattr(model, name, None)
        if heads is None:
            continue
        if not isinstance(heads, nn.ModuleList):
            heads = [heads]
        for i, head in enumerate(heads):
            if getattr(head, 'num_classes', None) is not None:
                path = f'model.{name}' if len(heads) == 1 \
                    else f'model.{name}[{i}]'
                yield path, head


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class DataCheckHook(Hook):
    """Check the data against the model before it can fail obscurely.

    Before training and testing: the model's heads have as many classes as
    the dataset. Before every training iteration, on the CPU batch (before
    it reaches the device): float inputs are finite, every label is a class
    or the ignore index of every head that learns from it (mmseg decode and
    auxiliary heads with their pixel samplers and losses, SAR, mmpretrain
    heads), and each label map has its image's size. After every
    iteration: every loss term is finite; the first NaN/inf is reported with
    its name instead of training on into NaN weights.

    This is the only label check of a training step: the modules on the
    device never read a label back to the host to check it, which would
    stall the device every step.

    Without these checks, such problems surface as a CUDA device-side
    assert, a "Target out of bounds" or a shape error deep in a loss, or
    train silently on garbage. ``tools/train.py`` and ``tools/test.py`` add
    this hook to every run (and check the datasets themselves before
    building the Runner, see :func:`sar_mm.engine.launch.check_datasets`).
    """

    priority = 'VERY_HIGH'

    def _model(self, runner) -> nn.Module:
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        # semi-supervised models: the heads are the student's
        return getattr(model, 'student', model)

    def _check_classes(self, runner, loader_name: str) -> None:
        dataset = getattr(runner, loader_name).dataset
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes:
            return
        for path, head in classifier_heads(self._model(runner)):
            if head.num_classes != len(classes):
                shown = ', '.join(map(str, classes[:5]))
                more = ', ...' if len(classes) > 5 else ''
                raise UserInputError(
                    f'{path}.num_classes is {head.num_classes} but the '
                    f'{loader_name.split("_")[0]} dataset '
                    f'({type(dataset).__name__}) has {len(classes)} classes '
                    f'({shown}{more}). Set num_classes={len(classes)} for '
                    f'every head in the config.')

    def before_train(self, runner) -> None:
        self._check_classes(runner, 'train_dataloader')

    def before_test(self, runner) -> None:
        self._check_classes(runner, 'test_dataloader')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if not data_batch or 'data_samples' not in data_batch:
            return
        # what each head accepts: its classes and its ignore value (image
        # classification heads have none)
        rules = {(head.num_classes, getattr(head, 'ignore_index', None))
                 for _, head in classifier_heads(self._model(runner))}
        if not rules:
            return
        samples, inputs = data_batch['data_samples'], data_batch.get('inputs')
        if isinstance(samples, dict):  # MultiBranch batches: every branch
            for branch, branch_samples in samples.items():
                branch_inputs = inputs.get(branch) if isinstance(
                    inputs, dict) else None
                keep = [i for i, s in enumerate(branch_samples)
                        if s is not None]
                self._check_samples(
                    [branch_samples[i] for i in keep],
                    None if branch_inputs is None else
                    [branch_inputs[i] for i in keep], rules)
        else:
            self._check_samples(samples, inputs, rules)

    @staticmethod
    def _check_samples(samples, inputs, rules) -> None:
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
                labels = sample.gt_sem_seg.data
                if inputs is not None and \
                        inputs[i].shape[-2:] != labels.shape[-2:]:
                    raise UserInputError(
                        f'label map of {sample.metainfo.get("img_path")} '
                        f'is {tuple(labels.shape[-2:])} but the image is '
                        f'{tuple(inputs[i].shape[-2:])} after the pipeline; '
                        f'image and annotation must have the same size.')
            elif 'gt_label' in sample:
                labels = torch.as_tensor(sample.gt_label)
            else:
                continue
            for num_classes, ignore in sorted(rules, key=str):
                check_label_range(labels, num_classes,
                                  () if ignore is None else (ignore, ),
                                  sample.metainfo.get('img_path'))

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
