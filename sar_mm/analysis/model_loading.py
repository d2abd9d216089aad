"""Build the model of a config and load a checkpoint into it, strictly.

An analysis of a checkpoint under the wrong config would silently measure
a half-random model, so every key must match: anything missing, unexpected
or of another shape stops with a :class:`CheckpointMismatchError` naming
the first few keys. Checkpoints are read weights-only
(:func:`sar_mm.compat.checkpoint.safe_load`), unless the user trusts the
file (:func:`sar_mm.compat.checkpoint.is_trusted`).
"""
from typing import Dict, List, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import MODELS
from torch import Tensor, nn

from ..compat.checkpoint import load_from_local
from ..utils.errors import UserInputError

#: How many keys of each kind a mismatch error names.
SHOWN_KEYS = 5


class CheckpointMismatchError(UserInputError):
    """A checkpoint's weights do not fit the model of a config."""


def _first(keys: List[str], what: str) -> str:
    shown = ', '.join(keys[:SHOWN_KEYS])
    more = f', ... ({len(keys) - SHOWN_KEYS} more)' if len(
        keys) > SHOWN_KEYS else ''
    return f'{len(keys)} {what}: {shown}{more}'


def check_state_dict(model: nn.Module, state_dict: Dict[str, Tensor],
                     checkpoint: str, config: str) -> None:
    """Raise unless ``state_dict`` has exactly the model's keys and shapes.

    Raises:
        CheckpointMismatchError: Naming the first :data:`SHOWN_KEYS`
            missing keys (in the model, not in the checkpoint), unexpected
            keys (the other way round) and shape mismatches.
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = [
        f'{k} (checkpoint {tuple(v.shape)}, model '
        f'{tuple(expected[k].shape)})' for k, v in state_dict.items()
        if k in expected and tuple(v.shape) != tuple(expected[k].shape)
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


def _state_dict_of(checkpoint: dict, path: str) -> Dict[str, Tensor]:
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


def load_model(cfg: Config, checkpoint: str,
               device: str = 'cpu') -> Tuple[nn.Module, dict]:
    """The model of ``cfg`` with the weights of ``checkpoint``, in eval mode.

    The default scope must already be set (e.g. by
    :func:`sar_mm.engine.launch.load_config`). Pretrained weights named in
    the config are not loaded: the checkpoint holds every weight.

    Args:
        cfg (Config): The config the checkpoint was trained with.
        checkpoint (str): Path of the checkpoint.
        device (str): Where the model goes. Defaults to ``'cpu'``.

    Returns:
        tuple[nn.Module, dict]: The model and the checkpoint's ``meta``
        (``{}`` if it has none); ``model.dataset_meta`` is set from
        ``meta['dataset_meta']`` when present.

    Raises:
        CheckpointError: The file is missing, corrupt or unsafe.
        CheckpointMismatchError: Its weights do not fit the model.
    """
    model = MODELS.build(cfg.model)
    loaded = load_from_local(checkpoint, map_location='cpu')
    if not isinstance(loaded, dict):
        raise CheckpointMismatchError(
            f'checkpoint {checkpoint} is a {type(loaded).__name__}, not a '
            f'dict with a state dict.')
    state_dict = _state_dict_of(loaded, checkpoint)
    check_state_dict(model, state_dict, checkpoint, cfg.filename or 'config')
    model.load_state_dict(state_dict, strict=True)
    meta = loaded.get('meta') or {}
    if isinstance(meta, dict) and 'dataset_meta' in meta:
        model.dataset_meta = meta['dataset_meta']
    return model.to(torch.device(device)).eval(), meta
