import os.path as osp
from typing import Iterator, List, Optional, Tuple

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

    Before training and testing: the dataset is not empty, every image of a
    segmentation dataset has its annotation file, and the model's heads have
    as many classes as the dataset. During training, every batch (on the
    CPU, before it reaches the device): labels are classes or the ignore
    index, and each label map has its image's size.

    Without these checks, such problems surface as a CUDA device-side
    assert, a "Target out of bounds" or a shape error deep in a loss or a
    dataloader worker, or train silently on wrong data. ``tools/train.py``
    and ``tools/test.py`` add this hook to every run.
    """

    priority = 'VERY_HIGH'

    def _model(self, runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _check_dataset(self, runner, loader_name: str) -> None:
        dataset = getattr(runner, loader_name).dataset
        split = loader_name.split('_')[0]
        kind = type(dataset).__name__
        if len(dataset) == 0:
            raise UserInputError(
                f'the {split} dataset ({kind}) is empty: no samples under '
                f'data_root={getattr(dataset, "data_root", None)!r} with '
                f'data_prefix={getattr(dataset, "data_prefix", None)}. Check '
                f'the paths and the img_suffix / seg_map_suffix.')
        missing = self._missing_annotations(dataset)
        if missing:
            raise UserInputError(
                f'{len(missing)} image(s) of the {split} dataset ({kind}) '
                f'have no annotation file, e.g. {missing[:3]}. Add them or '
                f'remove the images.')
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes:
            return
        for path, head in classifier_heads(self._model(runner)):
            if head.num_classes != len(classes):
                shown = ', '.join(map(str, classes[:5]))
                more = ', ...' if len(classes) > 5 else ''
                raise UserInputError(
                    f'{path}.num_classes is {head.num_classes} but the '
                    f'{split} dataset ({kind}) has {len(classes)} classes '
                    f'({shown}{more}). Set num_classes={len(classes)} for '
                    f'every head in the config.')

    @staticmethod
    def _missing_annotations(dataset) -> List[str]:
        if not hasattr(dataset, 'get_data_info'):
            return []
        missing = []
        for i in range(len(dataset)):
            seg_map = dataset.get_data_info(i).get('seg_map_path')
            if seg_map is not None and '://' not in seg_map and \
                    not osp.isfile(seg_map):
                missing.append(seg_map)
        return missing

    def before_train(self, runner) -> None:
        self._check_dataset(runner, 'train_dataloader')

    def before_test(self, runner) -> None:
        self._check_dataset(runner, 'test_dataloader')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if not data_batch or 'data_samples' not in data_batch:
            return
        heads = [head for _, head in classifier_heads(self._model(runner))]
        if not heads:
            return
        num_classes = heads[0].num_classes
        ignore = tuple({getattr(h, 'ignore_index', 255) for h in heads})
        inputs = data_batch.get('inputs')
        for i, sample in enumerate(data_batch['data_samples']):
            if 'gt_sem_seg' in sample:
                labels = sample.gt_sem_seg.data
                image = inputs[i] if isinstance(inputs, (list, tuple)) \
                    else None
                if image is not None and \
                        image.shape[-2:] != labels.shape[-2:]:
                    raise UserInputError(
                        f'label map of {sample.metainfo.get("img_path")} '
                        f'is {tuple(labels.shape[-2:])} but the image is '
                        f'{tuple(image.shape[-2:])} after the pipeline; '
                        f'image and annotation must have the same size.')
            elif 'gt_label' in sample:
                labels = torch.as_tensor(sample.gt_label)
            else:
                continue
            check_label_range(labels, num_classes, ignore,
                              sample.metainfo.get('img_path'))
