"""Does a checkpoint fit a model? Every key and shape must match.

A checkpoint tested or analysed under the wrong config silently gives the
results of a half-random model; these checks stop that with one line naming
the first missing, unexpected and mis-shaped keys. Used by
``tools/test.py`` (:class:`sar_mm.engine.hooks.CheckpointFitHook`) and the
analysis tools (:func:`sar_mm.analysis.load_model`).
"""
import re
from typing import Dict, List

from torch import Tensor, nn

from .errors import UserInputError


#: How many keys of each kind a mismatch error names.
SHOWN_KEYS = 5
#: Training-only state of sar_mm's models: the SAR core (anchors,
#: projector, gate), wherever the adapter keeps it (``sar.*`` of a
#: segmentor or classifier, ``head.sar.*`` of ``SARLinearClsHead``), a
#: semi-supervised segmentor's EMA teacher (``teacher.*``) and a
#: semi-supervised model's pseudo-labelling state (``pseudo_labeler.*``).
#: A model without them predicts the same, so a checkpoint that has them
#: fits the plain config.
TRAINING_ONLY = re.compile(r'(.+\.)?sar\.|teacher\.|pseudo_labeler\.')


class CheckpointMismatchError(UserInputError):
    """A checkpoint's weights do not fit the model of a config."""


def _first(keys: List[str], what: str) -> str:
    shown = ', '.join(keys[:SHOWN_KEYS])
    more = f', ... ({len(keys) - SHOWN_KEYS} more)' if len(
        keys) > SHOWN_KEYS else ''
    return f'{len(keys)} {what}: {shown}{more}'


def check_state_dict(model: nn.Module, state_dict: Dict[str, Tensor],
                     checkpoint: str, config: str) -> None:
    """Raise unless ``state_dict`` has exactly the model's keys and shapes
    (an empty model tensor takes any shape: it is sized on loading), apart
    from :data:`TRAINING_ONLY` entries the model does not have.

    Raises:
        CheckpointMismatchError: Naming the first :data:`SHOWN_KEYS`
            missing keys (in the model, not in the checkpoint), unexpected
            keys (the other way round) and shape mismatches.
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [
        k for k in state_dict
        if k not in expected and not TRAINING_ONLY.match(k)
    ]
    # an empty model tensor is a placeholder sized by what it loads (e.g.
    # the class counts of ClassCountsMixin), so any shape fits it
    shapes = [
        f'{k} (checkpoint {tuple(v.shape)}, model '
        f'{tuple(expected[k].shape)})' for k, v in state_dict.items()
        if k in expected and expected[k].numel() > 0
        and tuple(v.shape) != tuple(expected[k].shape)
    ]
    problems = [
        _first(keys, what) for keys, what in (
            (missing, 'missing key(s) (in the model, not in the checkpoint)'),
            (unexpected,
             'unexpected key(s) (in the checkpoint, not in the model)'),
            (shapes, 'shape mismatch(es)')) if keys
    ]
    if problems:
        raise CheckpointMismatchError(
            f'checkpoint {checkpoint} does not match the model of {config}: '
            f'{"; ".join(problems)}. Use the config the checkpoint was '
            f'trained with.')


def state_dict_of(checkpoint, path: str) -> Dict[str, Tensor]:
    """The weights of a loaded checkpoint: its ``state_dict`` (or the
    checkpoint itself if it is one), without DDP's ``module.`` prefix.

    Raises:
        CheckpointMismatchError: It holds no dict of tensors.
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(
            f'checkpoint {path} is a {type(checkpoint).__name__}, not a '
            f'dict with a state dict.')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict) or not all(
            isinstance(v, Tensor) for v in state_dict.values()):
        raise CheckpointMismatchError(
            f'checkpoint {path} holds no state dict of tensors (neither at '
            f"the top level nor under 'state_dict').")
    # DDP-wrapped models save their weights under 'module.'
    return {
        k[len('module.'):] if k.startswith('module.') else k: v
        for k, v in state_dict.items()
    }
