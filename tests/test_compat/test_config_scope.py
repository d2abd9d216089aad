"""``sar_mm::`` bases in mmengine configs (from a checkout; the wheel is
tested in tests/test_install/test_wheel.py)."""
import pytest
from mmengine.config import Config

from sar_mm.compat import config_scope
from sar_mm.utils import UserInputError
from tests.utils import REPO


def user_config(tmp_path, base, name='mine.py'):
    path = tmp_path / name
    path.write_text(f"_base_ = ['{base}']\nmodel = dict(sar=dict())\n")
    return str(path)


def test_sar_mm_bases_resolve_to_the_configs(tmp_path):
    assert config_scope.config_dir() == str(REPO / 'configs')
    cfg = Config.fromfile(
        user_config(tmp_path, 'sar_mm::demo/fcn_lt-digit-scenes_sar.py'))
    assert cfg.model.type == 'SAREncoderDecoder'
    # built in the config's own scope, as a local base would be
    assert cfg.default_scope == 'mmseg'
    assert '_scope_' not in cfg.train_dataloader.dataset


def test_a_missing_config_is_named(tmp_path):
    config = user_config(tmp_path, 'sar_mm::sar/no_such_config.py')
    with pytest.raises(UserInputError) as err:
        Config.fromfile(config)
    assert str(err.value) == (
        f'{config} inherits sar_mm::sar/no_such_config.py, which is not a '
        f'sar_mm config ({REPO}/configs/sar/no_such_config.py does not '
        f'exist).')


def test_switched_off_mmengine_resolves_alone(tmp_path):
    config = user_config(tmp_path, 'sar_mm::demo/fcn_lt-digit-scenes_sar.py')
    config_scope.uninstall()
    try:
        with pytest.raises(AssertionError, match='does not support'):
            Config.fromfile(config)
        # other packages' scopes are untouched either way
        Config.fromfile(user_config(
            tmp_path, 'mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py',
            'fcn.py'))
    finally:
        config_scope.install()
    assert Config.fromfile(config).model.type == 'SAREncoderDecoder'
