import logging

import pytest
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint
from mmpretrain.registry import MODELS

from sar_mm.datasets import LTDigits, long_tailed_counts
from sar_mm.engine.hooks import dataset_class_counts

DEMOS = 'configs/demo'


def demo_cfg(repo, name, tmp_path, **options):
    cfg = Config.fromfile(str(repo / DEMOS / name))
    cfg.merge_from_dict({
        'train_dataloader.batch_size': 4,
        'train_dataloader.dataset.indices': 8,
        'val_dataloader.dataset.indices': 10,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        **options
    })
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    cfg.experiment_name = f'{tmp_path.name}_{name}'
    return cfg


def test_counts_follow_the_training_set_into_modules_metric_and_ckpt(
        repo, tmp_path):
    """Only the training loader's ratio is changed (as with --cfg-options):
    losses and the metric's shot groups use the training set's counts."""
    cfg = demo_cfg(
        repo, 'bcl_lt-digits.py', tmp_path, **{
            'train_dataloader.dataset.imbalance_ratio': 50,
            'model.head.contrast_loss.type': 'RebalancedSupConLoss',
            'model.head.contrast_loss.prior_tau': 1.0,
        })
    runner = Runner.from_cfg(cfg)
    runner.train()
    counts = long_tailed_counts(120, 10, 50)
    assert counts != long_tailed_counts(120, 10, 10)
    head = runner.model.head
    assert head.loss_module.class_counts.tolist() == counts
    assert head.contrast_loss.class_counts.tolist() == counts
    assert runner.val_evaluator.metrics[0].class_counts == counts
    # the counts are saved with the weights and come back on loading
    model = MODELS.build(cfg.model)
    assert not model.head.loss_module.has_class_counts
    load_checkpoint(model, str(tmp_path / 'epoch_1.pth'), logger='silent')
    assert model.head.loss_module.class_counts.tolist() == counts


def test_testing_without_counts_uses_the_test_split_metainfo(repo, tmp_path):
    cfg = demo_cfg(
        repo, 'ce_lt-digits.py', tmp_path,
        **{'model.head.type': 'LogitAdjustLinearClsHead'})
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert runner.model.head.class_counts.tolist() == long_tailed_counts(
        120, 10, 10)
    assert 'accuracy/top1' in metrics


def test_dataset_counts_from_labels_when_metainfo_has_none():
    dataset = LTDigits(imbalance_ratio=5)
    assert dataset_class_counts(dataset) == long_tailed_counts(120, 10, 5)
    del dataset._metainfo['class_counts']
    assert dataset_class_counts(dataset) == long_tailed_counts(120, 10, 5)
    assert dataset_class_counts(object()) is None


@pytest.fixture(autouse=True)
def quiet():
    logging.getLogger('mmengine').setLevel(logging.WARNING)
