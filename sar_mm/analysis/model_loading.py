"""Build the model of a config and load a checkpoint into it, strictly.

An analysis of a checkpoint under the wrong config would silently measure
a half-random model, so every key must match: anything missing, unexpected
or of another shape stops with a :class:`CheckpointMismatchError` naming
the first few keys (:mod:`sar_mm.utils.checkpoint_fit`). Checkpoints are
read weights-only (:func:`sar_mm.compat.checkpoint.safe_load`), unless the
user trusts the file (:func:`sar_mm.compat.checkpoint.is_trusted`).
"""
from typing import Tuple

import torch
from mmengine.config import Config
from mmengine.registry import MODELS
from torch import nn

from ..compat.checkpoint import load_from_local
from ..utils.checkpoint_fit import (CheckpointMismatchError,
                                    check_state_dict, state_dict_of)

__all__ = ['CheckpointMismatchError', 'load_model']


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
    state_dict = state_dict_of(loaded, checkpoint)
    check_state_dict(model, state_dict, checkpoint, cfg.filename or 'config')
    # strict apart from the training state check_state_dict lets through
    model.load_state_dict(state_dict, strict=False)
    meta = loaded.get('meta') or {}
    if isinstance(meta, dict) and 'dataset_meta' in meta:
        model.dataset_meta = meta['dataset_meta']
    return model.to(torch.device(device)).eval(), meta
