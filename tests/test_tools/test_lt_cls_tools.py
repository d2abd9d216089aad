"""tools/train.py and tools/test.py on the long-tailed classification
configs, unchanged, and their one-line errors for bad data."""
import pytest
import torch

from sar_mm.datasets import long_tailed_counts
from tests.lt_fakes import write_fake_imagenet_lt
from tests.utils import one_error_line, run_tool

TINY = [
    'train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
    'train_dataloader.dataset.indices=16', 'val_dataloader.dataset.indices=20',
    'default_hooks.checkpoint.interval=1'
]


@pytest.mark.slow
def test_train_then_test_bcl_demo(repo, tmp_path):
    config = 'configs/demo/bcl_lt-digits.py'
    work_dir = tmp_path / 'train'
    result = run_tool([
        'train.py', config, '--work-dir', work_dir, '--cfg-options', *TINY,
        'train_dataloader.dataset.imbalance_ratio=50'
    ], cwd=repo)
    assert result.returncode == 0, result.stderr[-2000:]
    checkpoint = work_dir / 'epoch_1.pth'
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)
    # logit adjustment used the counts of the dataset actually trained on
    assert state['state_dict']['head.loss_module.class_counts'].tolist() == \
        long_tailed_counts(120, 10, 50)
    test = [
        'test.py', config, checkpoint, '--work-dir', tmp_path / 'test',
        '--show-dir', tmp_path / 'show', '--cfg-options',
        'test_dataloader.dataset.indices=20'
    ]
    # the config's own training set (ratio 10) is not what the model saw
    assert 'the training set of this config has [120, 92,' in \
        one_error_line(run_tool(test, cwd=repo))
    result = run_tool(
        test + ['train_dataloader.dataset.imbalance_ratio=50'], cwd=repo)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'accuracy/top1' in result.stdout + result.stderr
    # one picture per test image (upstream draws every 5000th only)
    assert len(list((tmp_path / 'show').glob('*.png'))) == 20
    assert f'one picture per test image goes to {tmp_path / "show"}' in \
        result.stdout


@pytest.mark.slow
def test_bad_data_stops_with_one_line(repo, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    roots = [
        f'{loader}.dataset.data_root={empty}'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    ]
    cifar = 'configs/la/la_resnet32_1xb256_cifar10-lt-r100.py'
    line = one_error_line(
        run_tool([
            'train.py', cifar, '--work-dir', tmp_path / 'a', '--cfg-options',
            *roots
        ], cwd=repo))
    assert 'cifar-10-batches-py/data_batch_1 not found' in line
    assert '{data_batch_1, ..., data_batch_5, test_batch, batches.meta}' \
        in line

    line = one_error_line(
        run_tool([
            'train.py', cifar, '--work-dir', tmp_path / 'b', '--cfg-options',
            *roots, 'train_dataloader.dataset.imbalance_ratio=0.5'
        ], cwd=repo))
    assert 'imbalance_ratio must be >= 1' in line

    imagenet = tmp_path / 'imagenet_lt'
    write_fake_imagenet_lt(imagenet)
    split = imagenet / 'ImageNet_LT_train.txt'
    split.write_text(split.read_text() + 'train/x.JPEG 1000\n')
    line = one_error_line(
        run_tool([
            'train.py', 'configs/bcl/bcl_resnet50_4xb64_imagenet-lt.py',
            '--work-dir', tmp_path / 'c', '--cfg-options', *[
                r.replace(str(empty), str(imagenet)) for r in roots
            ]
        ], cwd=repo))
    last = len(split.read_text().splitlines())
    assert f'ImageNet_LT_train.txt, line {last}: label 1000 is outside the ' \
        '1000 classes' in line
