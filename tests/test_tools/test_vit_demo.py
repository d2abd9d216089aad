"""configs/demo/sar_vit-tiny-p4_lt-digits.py, the runnable ViT + SAR path:
it trains on the built-in digits from a copy of the config outside the
repository (its _base_ are package-scoped, so a copy keeps working),
logs SAR's terms, tests, and its anchors and classifier are plotted."""
import json

import pytest

from tests.utils import DEMO_CONFIGS, run_tool

pytestmark = pytest.mark.slow
CONFIG = DEMO_CONFIGS / 'sar_vit-tiny-p4_lt-digits.py'


@pytest.fixture(scope='module')
def vit_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp('vit')
    # a user's copy of the demo, elsewhere, unchanged
    (cwd / 'my_vit.py').write_text(CONFIG.read_text())
    result = run_tool([
        'train.py', 'my_vit.py', '--work-dir', 'wd', '--cfg-options',
        'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ], cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd


def test_the_demo_inherits_package_bases_only():
    text = CONFIG.read_text()
    assert "'mmpretrain::_base_/default_runtime.py'" in text
    assert "'sar_mm::_base_/datasets/lt_digits.py'" in text
    assert "'../" not in text  # nothing relative to configs/
    assert 'mmpretrain::vision_transformer' not in text  # no ImageNet


def test_trains_with_sar_and_tests(vit_run):
    records = [
        json.loads(line) for line in next(
            vit_run.glob('wd/*/vis_data/scalars.json')).read_text().split(
                '\n') if line
    ]
    train = [r for r in records if 'loss_sar_anchor' in r]
    assert train and all('sar_gate_open' in r for r in train)
    assert any('accuracy/top1' in r for r in records)
    result = run_tool(['test.py', 'my_vit.py', 'wd/epoch_2.pth'], vit_run)
    assert result.returncode == 0, result.stderr[-3000:]


def test_anchors_and_vit_classifier_plot(vit_run):
    result = run_tool([
        'analysis_tools/plot_anchors.py', 'my_vit.py', 'wd/epoch_2.pth',
        '--kind', 'anchors', 'classifier', '--out', 'anchors.png'
    ], vit_run)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'classifier weights (layers.head)' in result.stdout
