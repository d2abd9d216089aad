"""mmengine 0.10.7 re-reads a package's whole model index for every
``package::`` config path.

``Config.fromfile`` resolves ``_base_ = ['mmseg::_base_/models/...']`` by
first looking the path up among the package's model-zoo configs:
``mmengine.config.utils._get_cfg_metainfo`` parses ``.mim/model-index.yml``
and every metafile it imports (212 YAML files for mmseg 1.2.2), and only
then, the lookup having failed, falls back to the ``_base_`` file. That
costs about 1 s of CPU per reference, several per config. The index is a
function of the installed files, so :func:`install_config_index_cache`
builds it once per package and answers every lookup from it.
"""
import functools
import os.path as osp


@functools.lru_cache(maxsize=None)
def _config_index(package_path: str) -> dict:
    """Model-zoo config name -> its metafile entry, first entry winning,
    as mmengine builds it."""
    from mmengine.fileio import load
    index = {}
    mim = osp.join(package_path, '.mim')
    for meta_path in load(osp.join(mim, 'model-index.yml'))['Import']:
        for model_cfg in load(osp.join(mim, meta_path))['Models']:
            if 'Config' in model_cfg:
                index.setdefault(model_cfg['Config'].partition('/')[-1],
                                 model_cfg)
    return index


def cached_cfg_metainfo(package_path: str, cfg_path: str) -> dict:
    """``_get_cfg_metainfo`` answered from the cached index (the same
    result, and the same ``ValueError`` for a name it does not hold)."""
    index = _config_index(package_path)
    if cfg_path not in index:
        raise ValueError(f'{cfg_path} is not a model-zoo config of '
                         f'{package_path}')
    return dict(index[cfg_path])


def install_config_index_cache() -> None:
    import mmengine.config.utils as utils
    utils._get_cfg_metainfo = cached_cfg_metainfo
