"""``pip install .`` (not editable): the wheel ships the configs, and a
config outside the repository inherits ``sar_mm::`` ones."""
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.utils import REPO

pytestmark = pytest.mark.slow
SAR_CONFIG = 'sar/deeplabv3-sar_r50-d8_4xb4-80k_ade20k-512x512.py'


def pip(*args, cwd):
    result = subprocess.run([sys.executable, '-m', 'pip', '-q', *args],
                            cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """The wheel of a copy of the sources (so no build output lands in
    the checkout), installed into a folder of its own."""
    root = tmp_path_factory.mktemp('wheel')
    source = root / 'source'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '*.egg-info')
    for name in ('sar_mm', 'configs', 'tools'):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    for name in ('setup.py', 'README.md'):
        shutil.copy(REPO / name, source / name)
    pip('wheel', '--no-deps', '--no-build-isolation', '-w', root / 'dist',
        source, cwd=root)
    wheel, = (root / 'dist').glob('sar_mm-*.whl')
    pip('install', '--no-deps', '--target', root / 'site', wheel, cwd=root)
    return root / 'site'


def test_the_wheel_ships_configs_and_tools(installed):
    shipped = installed / 'sar_mm' / '.mim'
    assert (shipped / 'configs' / SAR_CONFIG).read_text() == \
        (REPO / 'configs' / SAR_CONFIG).read_text()
    assert (shipped / 'configs' / '_base_' / 'datasets' /
            'lt_digit_scenes.py').is_file()
    assert (shipped / 'tools' / 'train.py').is_file()


def test_a_config_outside_the_repo_inherits_sar_mm_configs(
        installed, tmp_path):
    (tmp_path / 'my_config.py').write_text(
        f"_base_ = ['sar_mm::{SAR_CONFIG}']\n"
        "model = dict(sar=dict(pull_weight=0.2))\n")
    script = textwrap.dedent(f"""
        import sar_mm
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmseg.registry import MODELS
        assert sar_mm.__file__.startswith({str(installed)!r}), sar_mm.__file__
        cfg = Config.fromfile('my_config.py')
        init_default_scope(cfg.default_scope)
        cfg.model.pretrained = None
        model = MODELS.build(cfg.model)
        print(type(model).__name__, model.sar.num_classes,
              model.sar.feat_channels, model.sar.pull_weight)
        """)
    env = {'PYTHONPATH': str(installed), 'PATH': '/usr/bin:/bin',
           'OMP_NUM_THREADS': '1'}
    result = subprocess.run([sys.executable, '-c', script], cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ['SAREncoderDecoder', '150', '512',
                                     '0.2']
    # the train.py shipped in the wheel reads it too, up to the data check
    train = installed / 'sar_mm' / '.mim' / 'tools' / 'train.py'
    result = subprocess.run([sys.executable, train, 'my_config.py'],
                            cwd=tmp_path, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stderr.startswith(
        "ERROR: data_root 'data/ade/ADEChallengeData2016' of "
        'train_dataloader.dataset (ADE20KDataset)'), result.stderr[-3000:]
