"""The final linear classifier of an mmpretrain head, and what it reads.

Classification adapters of SAR (and the semi-supervised classifier) need
two things from any head: the module that turns features into logits, so
the anchors can go through it, and the features it is given (after the
head's ``pre_logits``), so they can be pulled. Heads differ in where that
module lives (``fc``, ``layers.head``, the last block of a stack), so it is
looked up here once, and its input is read with a forward pre-hook instead
of re-implementing each head's ``pre_logits``.
"""
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Sequence

import torch
from mmpretrain.models.heads import MultiLabelClsHead
from mmpretrain.models.heads.stacked_head import LinearBlock
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from ...utils.errors import UserInputError
from ..utils.cosine_linear import CosineLinear

# Where mmpretrain heads keep their classifier: fc (LinearClsHead and its
# subclasses, StackedLinearClsHead's last block, BCLHead's cosine fc) and
# layers.head (VisionTransformerClsHead).
_CLASSIFIER_PATHS = ('fc', 'layers.head')
# Exact types: subclasses such as ArcFace's NormProduct add margins and
# scales outside the module, so their output is not the head's logits.
_LINEAR_TYPES = (nn.Linear, CosineLinear)


def _get_path(module: nn.Module, path: str):
    for name in path.split('.'):
        module = getattr(module, name, None)
    return module


def final_classifier(head: nn.Module, owner: str = 'SAR') -> nn.Module:
    """The linear layer that computes a single-label head's logits.

    Args:
        head (nn.Module): An mmpretrain classification head.
        owner (str): Who asks, for the messages.

    Returns:
        nn.Module: An ``nn.Linear`` or
        :class:`~sar_mm.models.utils.CosineLinear` mapping the head's
        ``pre_logits`` features to ``num_classes`` logits.

    Raises:
        UserInputError: For multi-label heads, heads that average several
            classifiers (DeiT's distillation token) and heads without a
            final linear classifier, naming the head type.
    """
    if head is None:
        raise UserInputError(f'{owner} needs a classification head; the '
                             f'model has none (model.head=None).')
    head_type = type(head).__name__
    if isinstance(head, MultiLabelClsHead):
        raise UserInputError(
            f'{owner} needs single-label classification (one class per '
            f'image); {head_type} is a multi-label head.')
    if _get_path(head, 'layers.head_dist') is not None:
        raise UserInputError(
            f'{owner} needs one final linear classifier; {head_type} averages '
            f'two (class and distillation token). Use '
            f'VisionTransformerClsHead.')
    for path in _CLASSIFIER_PATHS:
        module = _get_path(head, path)
        # StackedLinearClsHead's fc is its last LinearBlock, a bare Linear
        if isinstance(module, LinearBlock) and module.norm is None and \
                module.act is None and module.dropout is None:
            module = module.fc
        if type(module) in _LINEAR_TYPES:
            if module.out_features != getattr(head, 'num_classes', None):
                raise UserInputError(
                    f'{owner}: the classifier {head_type}.{path} has '
                    f'{module.out_features} outputs but the head has '
                    f'num_classes={getattr(head, "num_classes", None)}.')
            return module
    raise UserInputError(
        f'{owner} needs a head whose logits come from one final linear '
        f'classifier (fc or layers.head: LinearClsHead, '
        f'StackedLinearClsHead, VisionTransformerClsHead, BCLHead...); '
        f'{head_type} has none.')


@contextmanager
def capture_input(module: nn.Module) -> Iterator[List[Tensor]]:
    """Record the input of every call of ``module`` inside the block."""
    captured: List[Tensor] = []
    handle = module.register_forward_pre_hook(
        lambda _, args: captured.append(args[0]))
    try:
        yield captured
    finally:
        handle.remove()


def hard_labels(data_samples: Sequence[DataSample], owner: str) -> Tensor:
    """One class index per image, as a (N, ) tensor.

    Raises:
        UserInputError: For soft label scores (Mixup, CutMix, one-hot).
    """
    if 'gt_score' in data_samples[0]:
        raise UserInputError(
            f'{owner} pulls every image towards the anchor of its hard '
            f'label, so it does not support batch augmentations (Mixup, '
            f'CutMix) or one-hot label scores; remove model.train_cfg.'
            f'augments / data_preprocessor.to_onehot.')
    return torch.cat([sample.gt_label for sample in data_samples])


def losses_with_sar(sar: nn.Module, classifier: nn.Module,
                    data_samples: Sequence[DataSample],
                    head_losses: Callable[[], Dict[str, Tensor]],
                    owner: str) -> Dict[str, Tensor]:
    """A head's own losses plus SAR on what its final classifier reads.

    Args:
        sar (nn.Module): The SAR core (built with ``build_sar``).
        classifier (nn.Module): The head's final classifier
            (:func:`final_classifier`); the anchors go through it too.
        data_samples (Sequence[DataSample]): The batch, with hard labels.
        head_losses (Callable): Computes the head's losses; it must call
            ``classifier`` once, on the images of ``data_samples``.
        owner (str): Who asks, for the messages.
    """
    labels = hard_labels(data_samples, owner)
    with capture_input(classifier) as captured:
        losses = head_losses()
    if len(captured) != 1:
        raise RuntimeError(
            f'{owner}: the head called its final classifier '
            f'{len(captured)} times in loss(); SAR reads its input from '
            f'exactly one call.')
    losses.update(sar.losses(classifier, {'': (captured[0], labels, 1.)}))
    return losses
