"""Fixes for the upstream stack, kept apart from the algorithms.

Each module fixes one reproduced problem of mmseg 1.2.2 / mmengine 0.10.7 /
mmcv 2.1.0 on current PyTorch (see README.md, "Compatibility notes"):

* :mod:`.mmcv_ops`: ``import mmseg.models`` with mmcv-lite, and one clear
  line for heads that need compiled ops.
* :mod:`.checkpoint`: weights-only checkpoint loading on torch >= 2.6.
* :mod:`.dist`: ``--launcher pytorch`` on a machine without CUDA.
* :mod:`.amp`: ``--amp`` on a machine without CUDA (bf16 autocast).
* :mod:`.atomic_save`: checkpoints written atomically (no truncated files).
* :mod:`.config_scope`: ``sar_mm::`` configs in ``_base_`` (switch off with
  ``sar_mm.compat.config_scope.uninstall()``).
"""
from .mmcv_ops import (explain_missing_ops, install_mmcv_ops_shim,
                       mmcv_full_available)


def apply_compat() -> None:
    """Install the fixes that must precede any mmseg model import."""
    install_mmcv_ops_shim()
    explain_missing_ops()
    from . import amp, config_scope, dist  # noqa: F401  (amp, dist: wrappers)
    from .atomic_save import install_atomic_local_backend
    from .checkpoint import install_safe_checkpoint_loading
    install_safe_checkpoint_loading()
    install_atomic_local_backend()
    config_scope.install()


__all__ = ['apply_compat', 'install_mmcv_ops_shim', 'mmcv_full_available']
