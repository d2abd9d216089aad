"""``sar_mm::`` configs in ``_base_``, like ``mmseg::`` and ``mmpretrain::``.

mmengine 0.10.7 resolves ``package::path`` bases only for the OpenMMLab
packages it lists (``mmengine.config.utils.MODULE2PACKAGE``), through their
pip metadata and model-index files. :func:`install` teaches its
``Config._get_cfg_path`` one more scope: ``sar_mm::X`` is the file ``X``
under :func:`config_dir`, the configs an installed wheel ships as
``sar_mm/.mim/configs`` (see setup.py) or, in a source checkout, the
repository's ``configs/``. Such a base is read like a local one, so its
dicts are built in the config's own ``default_scope``: sar_mm registers into
mmseg's and mmpretrain's registries and has no scope of its own.

mmengine reads the bases when it reads a config, before any
``custom_imports``, so ``sar_mm`` must be imported first: sar_mm's tools
import it; ``import sar_mm`` does it in a script. :func:`uninstall` puts
mmengine's function back.
"""
import os.path as osp

from mmengine.config import Config

from ..utils.errors import UserInputError

SCOPE = 'sar_mm'
_upstream = None


def config_dir() -> str:
    """Where ``sar_mm::`` configs live."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    shipped = osp.join(package, '.mim', 'configs')
    if osp.isdir(shipped):
        return shipped
    return osp.join(osp.dirname(package), 'configs')


def _get_cfg_path(cfg_path: str, filename: str):
    scope, sep, relative = cfg_path.partition('::')
    if not sep or scope != SCOPE:
        return _upstream(cfg_path, filename)
    path = osp.join(config_dir(), relative)
    if not osp.isfile(path):
        raise UserInputError(
            f'{filename} inherits {cfg_path}, which is not a sar_mm config '
            f'({path} does not exist).')
    return path, None


def install() -> None:
    """Resolve ``sar_mm::`` in mmengine configs (idempotent)."""
    global _upstream
    if _upstream is None:
        _upstream = Config._get_cfg_path
        Config._get_cfg_path = staticmethod(_get_cfg_path)


def uninstall() -> None:
    """Back to mmengine's own resolution."""
    global _upstream
    if _upstream is not None:
        Config._get_cfg_path = staticmethod(_upstream)
        _upstream = None
