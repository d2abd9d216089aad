"""SAR configs through tools/train.py: the ADE20K one on a tiny fake
ADE20K, the ViT one (inherited from mmpretrain::) shrunk to LTDigits."""

import numpy as np
import pytest
import torch

from tests.lt_fakes import write_fake_ade20k
from tests.utils import REPO, TEST_CONFIGS, run_tool, scalars

pytestmark = pytest.mark.slow


def test_deeplabv3_ade20k_sar_config_trains_on_cpu(tmp_path):
    root = tmp_path / 'fake_ade'
    write_fake_ade20k(root)
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    options = [f'{loader}.dataset.data_root={root}' for loader in loaders]
    options += [
        f'{loader}.{key}' for loader in loaders
        for key in ('num_workers=0', 'persistent_workers=False')
    ]
    options += [
        'model.pretrained=None', 'train_cfg.max_iters=2',
        'train_dataloader.batch_size=2', 'model.data_preprocessor.size=(64,64)',
        'train_dataloader.dataset.pipeline.2.scale=(128,64)',
        'train_dataloader.dataset.pipeline.3.crop_size=(64,64)',
        'val_dataloader.dataset.pipeline.1.scale=(128,64)'
    ]
    result = run_tool([
        'train.py', REPO / 'configs/sar/deeplabv3_r50_ade20k_sar.py',
        '--work-dir', 'wd', '--cfg-options'
    ] + options, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    records = scalars(tmp_path / 'wd')
    train = [r for r in records if 'loss_sar_anchor' in r]
    assert train and np.isfinite(train[-1]['loss_sar_anchor'])
    assert any('mIoU' in r for r in records)


def test_vit_sar_config_from_mmpretrain_trains_on_cpu(tmp_path):
    result = run_tool([
        'train.py', TEST_CONFIGS / 'sar_vit-tiny_lt-digits.py', '--work-dir',
        'wd'
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    records = scalars(tmp_path / 'wd')
    train = [r for r in records if 'loss_sar_anchor' in r]
    assert [r['step'] for r in train] == [1, 2]
    assert all(np.isfinite(r['loss_sar_anchor']) for r in train)
    assert any('accuracy/few' in r for r in records)
    state = torch.load(
        tmp_path / 'wd' / 'iter_2.pth', map_location='cpu',
        weights_only=False)['state_dict']
    # SAR sized from the ViT head's hidden layer, its anchors through
    # layers.head
    assert state['sar.semantic_anchors'].shape == (10, 48)
    assert state['head.layers.head.weight'].shape == (10, 48)
