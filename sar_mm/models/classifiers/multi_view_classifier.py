from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmpretrain.models import ClsDataPreprocessor, ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ...utils.errors import UserInputError


def check_training_views(inputs) -> None:
    """Refuse, in one line, a training batch that is not one batch tensor
    per view: what a single-view pipeline or mmpretrain's default
    ``pseudo_collate`` hand over instead, which would otherwise fail deep
    inside the data preprocessor or the head.
    """
    if isinstance(inputs, Tensor):
        got = 'one view per image (a single-view training pipeline)'
    elif not isinstance(inputs, (list, tuple)) or not inputs:
        got = f'inputs of type {type(inputs).__name__}'
    elif not all(isinstance(x, Tensor) and x.dim() == 4 for x in inputs):
        got = ('one entry per image, as the default pseudo_collate makes '
               'them')
    elif len(inputs) < 2:
        got = 'one view per image (MultiView with a single view)'
    else:
        return
    raise UserInputError(
        f'MultiViewImageClassifier (BCL, RCL) trains on >= 2 views of each '
        f'image, one batch tensor per view, but got {got}: make the views '
        f'with a MultiView transform in the training pipeline (BCL: '
        f'num_views=[1, 2], a classification view and two contrastive '
        f"ones) and set collate_fn=dict(type='default_collate') in "
        f'train_dataloader.')


def _check_preprocessor_input(module, args, kwargs) -> None:
    """Forward pre-hook of the data preprocessor: training batches are
    checked before it reads them (in DDP too, whose wrapper calls the
    preprocessor directly)."""
    data = args[0] if args else kwargs.get('data')
    training = args[1] if len(args) > 1 else kwargs.get('training', False)
    if training and isinstance(data, dict):
        check_training_views(data.get('inputs'))


def _view_preprocessor(cfg: dict) -> dict:
    """``SelfSupDataPreprocessor`` config from a ``type``-less
    ``ClsDataPreprocessor`` one (what mmpretrain dataset configs set)."""
    if 'type' in cfg:
        return cfg
    if cfg.get('to_onehot') or cfg.get('batch_augments'):
        raise TypeError(
            'MultiViewImageClassifier does not support batch augmentations '
            '(Mixup, CutMix) or one-hot labels; remove batch_augments / '
            'to_onehot from data_preprocessor and train_cfg.')
    kept = ('mean', 'std', 'to_rgb', 'pad_size_divisor', 'pad_value')
    return dict(
        type='SelfSupDataPreprocessor',
        **{k: v
           for k, v in cfg.items() if k in kept})


@MODELS.register_module()
class MultiViewImageClassifier(ImageClassifier):
    """An ``ImageClassifier`` trained on several augmented views per image.

    For heads that learn from more than one view of each image, such as
    :class:`~sar_mm.models.heads.BCLHead`. The training pipeline makes the
    views with mmpretrain's ``MultiView``; e.g. BCL's one classification
    view and two contrastive views::

        dict(type='MultiView', num_views=[1, 2],
             transforms=[classification_view, contrastive_view])

    With ``collate_fn=dict(type='default_collate')`` in the dataloaders,
    ``SelfSupDataPreprocessor`` hands the model one batch tensor per view
    (the recipe of mmpretrain's SimCLR; ``ClsDataPreprocessor`` does not
    understand view lists); a training batch of another form stops with
    one line saying what is needed (:func:`check_training_views`). The
    usual classification preprocessor settings of a config
    (``data_preprocessor = dict(num_classes=..., mean=..., std=...,
    to_rgb=...)`` without a ``type``) are turned into that
    ``SelfSupDataPreprocessor``, normalising every view alike.

    In training, the views are concatenated and go through the backbone and
    neck *once*, as in BCL's reference (so BatchNorm sees all views
    together); the features are split back per view and the head's
    ``loss(feats, data_samples)`` receives a list with one feature tuple per
    view, in pipeline order. Prediction and ``mode='tensor'`` are
    ``ImageClassifier``'s and take one view, so the usual single-view test
    pipeline and ``tools/test.py`` work unchanged.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config.
        head (dict, optional): Head config; its ``loss`` must take a list
            of per-view features.
        pretrained (str, optional): Checkpoint of the whole model.
        data_preprocessor (dict | nn.Module, optional): A
            ``SelfSupDataPreprocessor`` config, or ``ClsDataPreprocessor``
            settings without a ``type`` (see above). Batch augmentations
            (Mixup, CutMix) are not supported. Defaults to
            ``dict(type='SelfSupDataPreprocessor')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Union[dict, nn.Module, None] = None,
                 init_cfg: Optional[dict] = None):
        if not isinstance(data_preprocessor, nn.Module):
            # Built here: ImageClassifier would add a `batch_augments`
            # argument that SelfSupDataPreprocessor does not take.
            data_preprocessor = MODELS.build(
                _view_preprocessor(data_preprocessor or {}))
        if isinstance(data_preprocessor, ClsDataPreprocessor):
            raise TypeError(
                'MultiViewImageClassifier needs a data preprocessor that '
                'keeps the views apart, e.g. '
                "dict(type='SelfSupDataPreprocessor', mean=..., std=...) "
                "with collate_fn=dict(type='default_collate'); "
                'ClsDataPreprocessor does not understand view lists.')
        super().__init__(
            backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.data_preprocessor.register_forward_pre_hook(
            _check_preprocessor_input, with_kwargs=True)

    def forward(self,
                inputs: Union[Tensor, Sequence[Tensor]],
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode != 'loss' and not isinstance(inputs, Tensor):
            raise TypeError(
                f"mode='{mode}' takes one view per image, a (N, C, H, W) "
                f'tensor, but got a list of {len(inputs)} views; use a '
                f'single-view test pipeline (no MultiView).')
        return super().forward(inputs, data_samples, mode)

    def loss(self, inputs: Sequence[Tensor],
             data_samples: List[DataSample]) -> dict:
        """Losses of a batch given as one (N, C, H, W) tensor per view."""
        check_training_views(inputs)
        shapes = {tuple(view.shape) for view in inputs}
        if len(shapes) > 1:
            raise ValueError(
                f'all views must have the same shape to share one backbone '
                f'pass, got {sorted(shapes)}')
        batch_size = inputs[0].size(0)
        feats = self.extract_feat(torch.cat(list(inputs)))
        views = list(zip(*(f.split(batch_size) for f in feats)))
        return self.head.loss(views, data_samples)
