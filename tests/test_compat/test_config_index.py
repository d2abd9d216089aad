"""package:: config paths resolve as mmengine resolves them, from an index
of the model zoo read once."""
import os.path as osp

import mmseg
import pytest
from mmengine.config import Config
from mmengine.hub.hub import _get_cfg_metainfo as upstream  # not patched

from sar_mm.compat.config_index import cached_cfg_metainfo

MMSEG = osp.dirname(mmseg.__file__)
ZOO = 'fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py'


def test_same_answers_as_mmengine():
    assert cached_cfg_metainfo(MMSEG, ZOO) == upstream(MMSEG, ZOO)
    for name in ('_base_/models/fcn_r50-d8', ZOO[:-3]):
        for lookup in (upstream, cached_cfg_metainfo):
            with pytest.raises(ValueError):
                lookup(MMSEG, name)


def test_configs_inherit_package_configs():
    cfg = Config.fromstring(f"_base_ = ['mmseg::{ZOO}']", '.py')
    assert cfg.model.decode_head.type == 'FCNHead'
    assert cfg.train_cfg.max_iters == 40000  # from its own _base_ files
