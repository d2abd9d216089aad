from typing import Iterator, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS
from torch import nn

from ...utils.errors import UserInputError


def _class_count_modules(model: nn.Module) -> Iterator[Tuple[str, int]]:
    """``(config path, num_classes)`` of every classifier of the model."""
    for name in ('decode_head', 'auxiliary_head', 'head'):
        heads = getattr(model, name, None)
        if heads is None:
            continue
        if isinstance(heads, nn.Module) and not isinstance(
                heads, nn.ModuleList):
            heads = [heads]
        for i, head in enumerate(heads):
            num_classes = getattr(head, 'num_classes', None)
            if num_classes is not None:
                path = f'model.{name}' if len(heads) == 1 \
                    else f'model.{name}[{i}]'
                yield path, num_classes


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class NumClassesCheckHook(Hook):
    """Stop before training or testing if the model and the dataset disagree
    on the number of classes.

    Without it, a wrong ``num_classes`` surfaces as a CUDA device-side assert
    or a "Target out of bounds" error deep in a loss, or trains silently
    with unused outputs. ``tools/train.py`` and ``tools/test.py`` add this
    hook to every run.
    """

    priority = 'VERY_HIGH'

    def _check(self, runner, loader_name: str) -> None:
        loader = getattr(runner, loader_name)
        dataset = getattr(loader, 'dataset', None)
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for path, num_classes in _class_count_modules(model):
            if num_classes != len(classes):
                shown = ', '.join(map(str, classes[:5]))
                more = ', ...' if len(classes) > 5 else ''
                raise UserInputError(
                    f'{path}.num_classes is {num_classes} but the '
                    f'{loader_name.split("_")[0]} dataset '
                    f'({type(dataset).__name__}) has {len(classes)} classes '
                    f'({shown}{more}). Set num_classes={len(classes)} for '
                    f'every head in the config.')

    def before_train(self, runner) -> None:
        self._check(runner, 'train_dataloader')

    def before_test(self, runner) -> None:
        self._check(runner, 'test_dataloader')
