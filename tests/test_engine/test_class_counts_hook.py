import logging
import re

import pytest
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint
from mmpretrain.registry import MODELS

from sar_mm.datasets import LTDigits, LTDigitScenes, long_tailed_counts
from sar_mm.engine.hooks import dataset_class_counts
from sar_mm.utils import UserInputError
from tests.utils import run_tool, scalars

DEMOS = 'configs/demo'
SCENE_CLASSES = LTDigitScenes.METAINFO['classes']


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


def test_testing_takes_the_counts_of_the_config_training_set(
        repo, tmp_path):
    """tools/test.py builds no training loader: the counts of the config's
    training set (only its ratio changed) reach the model and the metric,
    not those the test split carries (ratio 10)."""
    cfg = demo_cfg(
        repo, 'ce_lt-digits.py', tmp_path, **{
            'model.head.type': 'LogitAdjustLinearClsHead',
            'train_dataloader.dataset.imbalance_ratio': 50,
        })
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    counts = long_tailed_counts(120, 10, 50)
    assert runner.test_dataloader.dataset.metainfo['class_counts'] != counts
    assert runner.model.head.class_counts.tolist() == counts
    assert runner.test_evaluator.metrics[0].class_counts == counts
    assert 'accuracy/top1' in metrics


def test_a_checkpoint_tested_with_other_training_counts_is_refused(
        repo, tmp_path):
    """Counts the model was trained with (from its checkpoint) that differ
    from the config's training set stop the test with one line."""
    cfg = demo_cfg(
        repo, 'ce_lt-digits.py', tmp_path,
        **{'model.head.type': 'LogitAdjustLinearClsHead'})
    runner = Runner.from_cfg(cfg)
    runner.model.head.set_class_counts(long_tailed_counts(120, 10, 50))
    with pytest.raises(UserInputError,
                       match=r'trained with, \[120, .*, 2\], but the '
                       r'training set of this config has \[120, .*, 12\]'):
        runner.test()


@pytest.mark.slow
def test_the_tools_keep_the_hook_whatever_custom_hooks_say(repo, tmp_path):
    """A user's own custom_hooks list cannot drop the counts: tools/train.py
    adds the hook, and the run's groups follow the training ratio."""
    result = run_tool([
        'train.py', repo / 'tests/data/configs/resnet_tiny_lt-digits.py',
        '--work-dir', 'wd', '--cfg-options', 'custom_hooks=[]',
        'train_dataloader.dataset.imbalance_ratio=50'
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    result = [r for r in scalars(tmp_path / 'wd') if 'accuracy/top1' in r][-1]
    per_class = [result[f'accuracy/per_class/{c}'] for c in range(10)]
    # ratio 50: 120, 77 | 50, 32, 21 | 13, 8, 5, 3, 2 images (many > 60,
    # few < 20); ratio 10 would make digits 0-2 many-shot, 8 and 9 few-shot
    assert result['accuracy/many'] == pytest.approx(
        sum(per_class[:2]) / 2, abs=0.01)
    assert result['accuracy/medium'] == pytest.approx(
        sum(per_class[2:5]) / 3, abs=0.01)
    assert result['accuracy/few'] == pytest.approx(
        sum(per_class[5:]) / 5, abs=0.01)
    config = next((tmp_path / 'wd').glob('*/vis_data/config.py'))
    assert 'ClassCountsHook' in config.read_text()


def test_dataset_counts_from_labels_when_metainfo_has_none():
    dataset = LTDigits(imbalance_ratio=5)
    assert dataset_class_counts(dataset) == long_tailed_counts(120, 10, 5)
    del dataset._metainfo['class_counts']
    assert dataset_class_counts(dataset) == long_tailed_counts(120, 10, 5)
    assert dataset_class_counts(object()) is None


@pytest.fixture(autouse=True)
def quiet():
    logging.getLogger('mmengine').setLevel(logging.WARNING)


def test_segmentation_counts_are_the_labelled_pixels(tmp_path, monkeypatch):
    """A semi-supervised segmentation set's counts (what distribution
    matching gets) are the class pixels of its labelled split's label maps,
    counted here by a loop over the PNG files; the unlabelled scenes are
    not read. A classification set has none of its own."""
    import cv2
    import numpy as np
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    from sar_mm.analysis.label_counts import labelled_pixel_counts
    from tests.utils import TINY_SEMI
    cfg = Config.fromfile(str(TINY_SEMI))
    monkeypatch.chdir(tmp_path)  # the tiny scenes are generated here
    init_default_scope('mmseg')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    counts = labelled_pixel_counts(dataset)
    root = tmp_path / 'data/lt_digit_scenes_tiny'
    lines = (root / 'splits/1_8/labeled.txt').read_text().split('\n')
    expected = np.zeros(11, dtype=np.int64)
    for line in filter(None, lines):
        mask = cv2.imread(str(root / line.split()[1]), cv2.IMREAD_UNCHANGED)
        expected += np.bincount(mask[mask != 255].ravel(), minlength=11)
    assert counts == expected.tolist() and expected.sum() > 0
    assert sum(counts) < 64 * 64 * len(dataset)  # not the unlabelled ones
    assert labelled_pixel_counts(LTDigits(split='train', lazy_init=True)) \
        is None



def split_without_a_class(root, folder, num_labelled=3):
    """Split files whose labelled scenes (the first ``num_labelled``
    without a digit 9) miss some classes; returns those classes' names."""
    import cv2
    import numpy as np

    from sar_mm.datasets.split_files import split_line, write_split_pair
    names = sorted((root / 'ann_dir/train').iterdir())
    masks = [cv2.imread(str(n), cv2.IMREAD_UNCHANGED) for n in names]
    labelled = [i for i, m in enumerate(masks) if not (m == 10).any()]
    labelled = labelled[:num_labelled]
    counts = sum(
        np.bincount(masks[i].ravel(), minlength=11) for i in labelled)
    lines = [
        split_line(f'img_dir/train/{n.name}', f'ann_dir/train/{n.name}', '')
        for n in names
    ]
    write_split_pair(str(folder), lines, labelled)
    return [SCENE_CLASSES[c] for c in np.flatnonzero(counts == 0)]


WARNING = 'the labelled training split has no pixel of class(es)'


@pytest.mark.parametrize('strategy', [
    ['model.pseudo_label.type=DistributionMatching'],
    ['model.pseudo_label.type=FlexMatchThreshold',
     'model.pseudo_label.prior_norm=True'],
    ['model.pseudo_label.type=FreeMatchThreshold',
     'model.pseudo_label.prior_norm=True'],
    ['model.pseudo_label.type=AdaptiveEqualization'],
], ids=['dars', 'flexmatch-prior', 'freematch-prior', 'ael'])
def test_trains_on_a_split_with_an_unlabelled_class(strategy, tmp_path):
    """Every strategy that reads the labelled prior (and AEL, which reads
    none) trains on a split where digits have no labelled pixel: one
    warning at the start names them and the fix, the strategy holds their
    count 0, and the val table's frequency column is the split's (0 for
    digit 9)."""
    import torch

    from tests.utils import TINY_SEMI
    root = tmp_path / 'data/lt_digit_scenes_tiny'
    LTDigitScenes(data_root=str(root), num_train=24, num_val=6)
    missing = split_without_a_class(root, tmp_path / 'split')
    assert '9' in missing and len(missing) < 10
    result = run_tool([
        'train.py', str(TINY_SEMI), '--work-dir', 'wd', '--cfg-options',
        *strategy, 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'train_dataloader.dataset.datasets.0.split_file=split/labeled.txt',
        'train_dataloader.dataset.datasets.1.split_file=split/unlabeled.txt'
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert log.count(WARNING) == 1
    assert (f'{WARNING} {missing}: the model never sees them labelled'
            in log) and 'make_splits.py --stratified' in log
    state = torch.load(
        tmp_path / 'wd/iter_2.pth', map_location='cpu')['state_dict']
    if 'AdaptiveEqualization' not in strategy[0]:  # AEL reads no prior
        counts = state['pseudo_labeler.class_counts']
        assert [SCENE_CLASSES[c] for c in torch.nonzero(counts == 0)] == \
            missing
    assert freq_of_digit_9(log) == '0'
    if 'DistributionMatching' in strategy[0]:
        # tested with the config's own split (which labels digit 9), the
        # checkpoint shows the split it was trained on
        result = run_tool([
            'test.py', str(TINY_SEMI), 'wd/iter_2.pth', '--work-dir', 'test'
        ], tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        log = next((tmp_path / 'test').glob('*/*.log')).read_text()
        assert 'frequencies from the labelled training split' in log
        assert freq_of_digit_9(log) == '0'


def freq_of_digit_9(log):
    """The frequency column of digit 9 in the last per-class table."""
    rows = re.findall(r'^\|\s*9\s*\|\s*\w+\s*\|\s*([\d.]+)\s*\|', log,
                      re.M)
    return rows[-1]
