"""Where a model keeps one vector per class: anchors, classifier weights...

The analysis tools ask for class vectors by *kind*; each kind has a list of
finders, functions ``model -> (C x D tensor, description) | None``, tried in
order. A method that keeps its class vectors elsewhere registers a finder
with :func:`register_class_vectors` (see ``bcl_prototypes`` below).

Any other ``C x D`` tensor of the state dict can be named directly
(:func:`state_dict_class_vectors`, the tools' ``--key``).

Built-in kinds:

- ``'anchors'``: SAR's semantic anchors, from the model's
  :class:`~sar_mm.models.sar.SemanticAnchorLoss` (segmentors and
  classification heads alike): the EMA anchors the features are pulled
  to, or, if training never opened SAR's gate, the projected anchors.
- ``'classifier'``: the weights of the linear classifier the features go
  into: ``conv_seg`` of an mmseg decode head (the last one of a cascade),
  the final linear classifier of an mmpretrain head (``fc``, the last
  layer of a stack, ViT's ``layers.head``).
- ``'prototypes'``: BCL's class prototypes, the classifier weights through
  :class:`~sar_mm.models.heads.BCLHead`'s prototype MLP (they live in the
  contrastive embedding space, not the backbone's feature space).
"""
import warnings
from collections import OrderedDict
from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor, nn

from ..models.heads.bcl_head import BCLHead
from ..models.sar import SemanticAnchorLoss, final_classifier
from ..models.utils import last_decode_head
from ..utils.errors import UserInputError

Finder = Callable[[nn.Module], Optional[Tuple[Tensor, str]]]
#: kind -> its finders, tried in order
CLASS_VECTOR_FINDERS: 'OrderedDict[str, List[Finder]]' = OrderedDict()
#: What to tell the user when no finder of a kind matches a model.
MISSING_HINTS = dict(
    anchors='it is not a SAR model (no SemanticAnchorLoss module; SAR '
    "models have model.type='SAREncoderDecoder' or a SAR head, and a "
    "'sar.semantic_anchors' entry in their checkpoint). Ask for "
    "--kind classifier, or --key NAME for another C x D tensor.",
    classifier='its head has no linear classifier (conv_seg or fc); name '
    'the C x D tensor with --key.',
    prototypes="its head is not a BCLHead (model.head.type='BCLHead'). Ask "
    'for --kind classifier.')


def register_class_vectors(kind: str) -> Callable[[Finder], Finder]:
    """Decorator adding a finder for ``kind`` (tried after earlier ones)."""

    def register(finder: Finder) -> Finder:
        CLASS_VECTOR_FINDERS.setdefault(kind, []).append(finder)
        return finder

    return register


def classifier_head(model: nn.Module) -> nn.Module:
    """The head whose classifier makes the model's prediction: the (last)
    decode head of a segmentor, ``model.head`` of a classifier."""
    if getattr(model, 'decode_head', None) is not None:
        return last_decode_head(model)
    head = getattr(model, 'head', None)
    if head is None:
        raise UserInputError(
            f'{type(model).__name__} has neither a decode_head (mmseg) nor a '
            f'head (mmpretrain) to analyse.')
    return head


@register_class_vectors('anchors')
def sar_anchors(model: nn.Module) -> Optional[Tuple[Tensor, str]]:
    """The semantic anchors of the model's SemanticAnchorLoss."""
    sar = next((m for m in model.modules()
                if isinstance(m, SemanticAnchorLoss)), None)
    if sar is None:
        return None
    if bool(sar.anchors_initialized):
        return sar.semantic_anchors.detach(), 'SAR semantic anchors (EMA)'
    warnings.warn(
        "SAR's gate never opened in this checkpoint's training, so its EMA "
        'anchors were never set; showing the projected anchors instead.')
    with torch.no_grad():
        return (sar.projector.eval()(sar.predefined_anchors),
                'SAR projected anchors (gate never opened)')


@register_class_vectors('classifier')
def linear_classifier(model: nn.Module) -> Optional[Tuple[Tensor, str]]:
    """``conv_seg`` (mmseg) or the final linear classifier (mmpretrain:
    ``fc``, a stack's last layer, ViT's ``layers.head``) weights as C x D."""
    head = classifier_head(model)
    conv_seg = getattr(head, 'conv_seg', None)
    if conv_seg is not None:
        return conv_seg.weight.detach().flatten(1), \
            'classifier weights (conv_seg)'
    try:
        fc = final_classifier(head)
    except UserInputError:
        return None
    name = next(n for n, m in head.named_modules() if m is fc)
    return fc.weight.detach(), f'classifier weights ({name})'


@register_class_vectors('prototypes')
def bcl_prototypes(model: nn.Module) -> Optional[Tuple[Tensor, str]]:
    """BCL's prototypes: the classifier weights through the prototype
    MLP, in eval mode (BatchNorm with its running statistics)."""
    head = getattr(model, 'head', None)
    if not isinstance(head, BCLHead):
        return None
    was_training = head.training
    with torch.no_grad():
        prototypes = head.eval().prototype_projector(head.fc.weight)
    head.train(was_training)
    return prototypes, 'BCL prototypes'


def maybe_class_vectors(model: nn.Module,
                        kind: str) -> Optional[Tuple[Tensor, str]]:
    """The class vectors of ``kind`` and what they are, or None if the
    model has none (or the kind is unknown)."""
    for finder in CLASS_VECTOR_FINDERS.get(kind, []):
        found = finder(model)
        if found is not None:
            return found
    return None


def class_vectors(model: nn.Module, kind: str) -> Tuple[Tensor, str]:
    """The class vectors of ``kind`` and what they are.

    Raises:
        UserInputError: For an unknown kind, or a model without them (e.g.
            anchors of a non-SAR model).
    """
    if kind not in CLASS_VECTOR_FINDERS:
        raise UserInputError(
            f'unknown kind of class vectors {kind!r}; choose one of '
            f'{", ".join(CLASS_VECTOR_FINDERS)} or name a state-dict '
            f'tensor with --key.')
    found = maybe_class_vectors(model, kind)
    if found is None:
        hint = MISSING_HINTS.get(kind, 'no finder of this kind matches it.')
        raise UserInputError(
            f'{type(model).__name__} has no {kind}: {hint}')
    return found


def state_dict_class_vectors(model: nn.Module, key: str,
                             num_classes: int) -> Tuple[Tensor, str]:
    """A state-dict tensor of shape ``(C, D)`` (or ``(C, D, 1, 1)``).

    Raises:
        UserInputError: No such key, or not one row per class.
    """
    state = model.state_dict()
    if key not in state:
        close = ([k for k in state if k.endswith('.' + key)]
                 or [k for k in state if key.split('.')[0] in k])[:5]
        raise UserInputError(
            f'no {key!r} in the state dict of {type(model).__name__}'
            + (f'; similar keys: {", ".join(close)}' if close else ''))
    tensor = state[key].detach().float()
    if tensor.ndim < 2 or tensor.shape[0] != num_classes:
        raise UserInputError(
            f'{key} has shape {tuple(tensor.shape)}, not one row per class '
            f'({num_classes}, D).')
    return tensor.flatten(1), key


def find_class_vectors(model: nn.Module,
                       num_classes: int,
                       kind: Optional[str] = None,
                       key: Optional[str] = None) -> Tuple[Tensor, str]:
    """``--key`` if given, else the vectors of ``kind``, as float32 C x D on
    the CPU."""
    if key is not None:
        vectors, what = state_dict_class_vectors(model, key, num_classes)
    else:
        vectors, what = class_vectors(model, kind)
    return vectors.detach().float().cpu().flatten(1), what
