"""Fixes for the upstream stack, kept apart from the algorithms.

Each module fixes one reproduced problem of mmseg 1.2.2 / mmengine 0.10.7 /
mmcv 2.1.0 on current PyTorch (see docs/en/get_started.md, "Compatibility
notes").
Importing ``sar_mm`` applies them, in this order, before any mmseg model
code is imported. Five of them replace a piece of the upstream stack for
the whole process:

* ``mmcv_ops`` (:mod:`.mmcv_ops`): puts a stand-in module at
  ``sys.modules['mmcv.ops']``, only when mmcv's compiled ops are missing
  (mmcv-lite), so that ``import mmseg.models`` works, and lets the heads
  built on compiled ops fail in one line naming the fix.
* ``checkpoint`` (:mod:`.checkpoint`): allow-lists mmengine's checkpoint
  classes for weights-only loading
  (``torch.serialization.add_safe_globals``) and replaces mmengine's
  ``CheckpointLoader`` scheme for local paths (``resume``, ``load_from``,
  ``tools/test.py``, ``init_model``) by a weights-only loader with clear
  errors, each an instance of what upstream raises for the same file.
* ``config_scope`` (:mod:`.config_scope`): teaches mmengine's
  ``Config`` the ``sar_mm::`` scope, so configs inherit
  ``_base_ = ['sar_mm::...']`` like ``mmseg::...``.
* ``atomic_save`` (:mod:`.atomic_save`): replaces mmengine's ``'local'``
  file backend (``LocalBackend``) by ``AtomicLocalBackend``, whose
  ``put``/``put_text`` write a temporary file and rename it over the
  target: checkpoints (and everything else mmengine writes through the
  backend) are never left truncated.
* ``hue`` (:mod:`.hue`): replaces ``mmcv.adjust_hue``, which fails for
  negative hue factors under NumPy 2, by one that wraps the shift as
  NumPy 1 and torchvision do (colour jitter with ``hue > 0``).
* ``config_index`` (:mod:`.config_index`): answers mmengine's look-ups of
  ``package::`` config paths from an index of the package's model zoo
  read once, instead of re-reading every metafile per look-up.

Each can be switched off, for the process, by naming it in the environment
variable ``SAR_MM_COMPAT_OFF`` (comma-separated) before ``sar_mm`` is
imported, e.g. ``SAR_MM_COMPAT_OFF=atomic_save``; upstream's behaviour then
returns, with the problem it fixes.

The other two replace nothing: they register classes that are used only
when chosen (the tools choose them on a machine without CUDA):

* :mod:`.dist`: ``CPUDistributedDataParallel``, for ``--launcher pytorch``
  on gloo.
* :mod:`.amp`: ``CPUAmpOptimWrapper``, for ``--amp`` (bf16 autocast).
"""
import os
import warnings

from .mmcv_ops import (explain_missing_ops, install_mmcv_ops_shim,
                       mmcv_full_available)

#: Environment variable naming the replacements to leave out.
COMPAT_OFF_ENV = 'SAR_MM_COMPAT_OFF'
SWITCHABLE = ('mmcv_ops', 'checkpoint', 'config_scope', 'atomic_save', 'hue',
              'config_index')


def switched_off() -> set:
    """The replacements named in ``SAR_MM_COMPAT_OFF``."""
    names = {
        name.strip()
        for name in os.environ.get(COMPAT_OFF_ENV, '').split(',')
        if name.strip()
    }
    unknown = sorted(names - set(SWITCHABLE))
    if unknown:
        warnings.warn(f'{COMPAT_OFF_ENV} names {unknown}, which are not '
                      f'replacements of sar_mm.compat; known: {SWITCHABLE}')
    return names


def apply_compat() -> None:
    """Install the fixes that must precede any mmseg model import, except
    those switched off by ``SAR_MM_COMPAT_OFF``."""
    off = switched_off()
    if 'mmcv_ops' not in off:
        install_mmcv_ops_shim()
        explain_missing_ops()
    from . import amp, dist  # noqa: F401  (registers the wrappers)
    if 'checkpoint' not in off:
        from .checkpoint import install_safe_checkpoint_loading
        install_safe_checkpoint_loading()
    if 'config_scope' not in off:
        from . import config_scope
        config_scope.install()
    if 'atomic_save' not in off:
        from .atomic_save import install_atomic_local_backend
        install_atomic_local_backend()
    if 'hue' not in off:
        from .hue import install_hue_fix
        install_hue_fix()
    if 'config_index' not in off:
        from .config_index import install_config_index_cache
        install_config_index_cache()


__all__ = [
    'COMPAT_OFF_ENV', 'apply_compat', 'install_mmcv_ops_shim',
    'mmcv_full_available', 'switched_off'
]
