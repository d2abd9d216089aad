"""sar_mm: balanced and long-tailed representation learning for OpenMMLab.

Importing the package registers every component into the mmseg and
mmpretrain registries, after installing the compatibility fixes of
:mod:`sar_mm.compat` (they must run before mmseg's model code is imported).
"""
import importlib.util

from .version import __version__

if importlib.util.find_spec('mmcv') is None:
    raise ImportError(
        'sar_mm needs mmcv 2.1.x. Install the pure-Python build with '
        '`pip install mmcv-lite==2.1.0` (enough for every sar_mm component) '
        'or the full build with compiled ops, `make install MMCV=full`; '
        'see docs/en/get_started.md, "Manual install".')

from .compat import apply_compat  # noqa: E402

apply_compat()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__']
