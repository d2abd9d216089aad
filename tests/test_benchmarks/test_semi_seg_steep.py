"""The steep setting and the tail arms of benchmarks/semi_seg.py: at
``steep`` an arm trains and validates on the ratio-50, seed-1 scenes and
their 1/16 lists and reports that data's head / medium / tail groups,
nothing else changed; the 1/16 labelled list labels every class; the
class-balanced CE arms weigh classes by the labelled split's counts, the
sampler arms have the sampler, and each semi-supervised tail arm contains
the supervised arm with the same labelled loss."""
import os.path as osp
import sys
from unittest import mock

import mmcv
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import METRICS, MODELS

from benchmarks.common import SEMI_BASELINES
from benchmarks.semi_seg import (DEFAULT_ARMS, SCENES, STEEP, STEEP_SCENES,
                                 parse_args, split_dir)
from sar_mm.models.samplers import LongTailPixelSampler
from tests.utils import semi_seg_arm

STEEP_ROOT = STEEP_SCENES['data_root']
TAIL_ARMS = {  # semi-supervised tail arm: its supervised baseline
    'fixmatch+ema-burn+lt+cbce': 'supervised+cbce',
    'fixmatch+ema-burn+lt+sampler': 'supervised+sampler',
}
DATA_KEYS = ('data_root', 'imbalance_ratio', 'seed', 'split_file')


@pytest.fixture(scope='module')
def arm(tmp_path_factory):
    """arm(name, split): its config, built once per module."""
    folder, built = tmp_path_factory.mktemp('arms'), {}

    def get(name, split):
        if (name, split) not in built:
            built[name, split] = semi_seg_arm(name, folder, split=split)
        return built[name, split]

    return get


def masks(root, lines=None):
    """The train masks of a scene folder (those of a split file's lines,
    given them), as arrays."""
    if lines is None:
        names = sorted(f'ann_dir/train/train_{i:05d}.png' for i in range(400))
    else:
        with open(lines) as f:
            names = [line.split()[1] for line in f if line.strip()]
    return [
        mmcv.imread(osp.join(root, name), flag='unchanged') for name in names
    ]


def pixel_counts(maps, num_classes=11):
    counts = np.zeros(num_classes, dtype=np.int64)
    for m in maps:
        for c in range(num_classes):
            counts[c] += int((m == c).sum())
    return counts


def datasets(node):
    """Every dataset config with a data field in a config tree."""
    if isinstance(node, dict):
        found = [node] if any(k in node for k in DATA_KEYS) else []
        return found + [d for v in node.values() for d in datasets(v)]
    if isinstance(node, (list, tuple)):
        return [d for v in node for d in datasets(v)]
    return []


def without_data(node):
    if isinstance(node, dict):
        return {
            k: without_data(v)
            for k, v in node.items() if k not in DATA_KEYS
        }
    if isinstance(node, (list, tuple)):
        return [without_data(v) for v in node]
    return node


LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.mark.parametrize('name', ['supervised', 'fixmatch+ema-burn+lt'])
def test_steep_arm_is_the_1_8_arm_on_the_steep_data(name, arm):
    steep, plain = arm(name, STEEP), arm(name, '1_8')
    train = steep.train_dataloader.dataset
    parts = train.datasets if name != 'supervised' else [train]
    # the labelled (and unlabelled) lists of the steep 1/16 split
    assert [p.split_file for p in parts] == [
        osp.join(STEEP_ROOT, 'splits/1_16', f)
        for f in ('labeled.txt', 'unlabeled.txt')[:len(parts)]
    ]
    # every dataset, train and val, is the steep scenes
    found = [d for loader in LOADERS for d in datasets(steep[loader])]
    scenes = [d for d in found if d.get('type') == 'LTDigitScenes']
    assert len(scenes) == len(parts) + 2  # + val and test
    for d in scenes:
        assert (d.data_root, d.imbalance_ratio, d.seed) == (STEEP_ROOT, 50, 1)
    assert steep.val_dataloader.dataset.data_prefix.img_path == 'img_dir/val'
    # nothing else changed: model, schedule, hooks, pipelines, samplers
    for key in set(steep) | set(plain):
        if key in LOADERS:
            assert without_data(steep[key].to_dict()) == without_data(
                plain[key].to_dict()), key
        elif key not in ('val_evaluator', 'test_evaluator'):
            assert steep.get(key) == plain.get(key), key
    for key in ('val_evaluator', 'test_evaluator'):
        assert dict(steep[key], stats_file=None) == dict(
            plain[key], stats_file=None)


def test_steep_groups_are_the_steep_train_scenes(arm):
    cfg = arm('supervised', STEEP)
    init_default_scope('mmseg')
    metric = METRICS.build(cfg.val_evaluator)
    counts = pixel_counts(masks(STEEP_ROOT))
    assert metric.stats.pixel_counts == counts.tolist()
    # 11 classes in thirds of the class list, most frequent first
    order = sorted(range(11), key=lambda c: (-counts[c], c))
    assert metric.stats.groups == dict(
        head=order[:4], medium=order[4:8], tail=order[8:])
    assert cfg.test_evaluator.stats_file == cfg.val_evaluator.stats_file
    # the default scenes' groups elsewhere
    assert arm('supervised', '1_8').val_evaluator.stats_file.endswith(
        'configs/_base_/datasets/lt_digit_scenes_class_stats.json')


def test_steep_labelled_list_labels_every_class(arm):
    arm('supervised', STEEP)  # generates the steep scenes
    labelled = osp.join(split_dir(STEEP), 'labeled.txt')
    counts = pixel_counts(masks(STEEP_ROOT, labelled))
    assert (counts > 0).all(), counts
    with open(labelled) as f:
        assert len(f.read().splitlines()) == 400 // 16


@pytest.mark.parametrize('split', ['1_8', STEEP])
def test_cbce_weights_come_from_the_labelled_split(split, arm):
    root = STEEP_ROOT if split == STEEP else SCENES
    init_default_scope('mmseg')
    # first: building the arms generates the scenes of a fresh clone
    sup = arm('supervised+cbce', split).model
    semi = arm('fixmatch+ema-burn+lt+cbce', split).model
    counts = pixel_counts(
        masks(root, osp.join(split_dir(split), 'labeled.txt')))
    # the documented sqrt_inverse weighting: 1 / sqrt(f_c), scaled so that
    # the average labelled pixel weighs 1, capped at 10
    freq = counts / counts.sum()
    raw = 1 / np.sqrt(freq)
    expected = np.minimum(raw / (freq * raw).sum(), 10)
    for head in (sup.decode_head, semi.segmentor.decode_head):
        loss = MODELS.build(head.loss_decode)
        assert type(loss).__name__ == 'ClassBalancedCrossEntropyLoss'
        assert torch.allclose(loss.class_weight,
                              torch.tensor(expected, dtype=torch.float32))
    # not the whole train split's counts
    train = pixel_counts(masks(root))
    assert not np.allclose(counts / counts.sum(), train / train.sum())


def test_sampler_arms_have_the_sampler(arm):
    init_default_scope('mmseg')
    sup = arm('supervised+sampler', '1_8').model
    model = MODELS.build(sup)
    assert isinstance(model.decode_head.sampler, LongTailPixelSampler)
    assert model.decode_head.sampler.class_weight is None  # running count
    assert sup.decode_head.loss_decode.avg_non_ignore
    assert arm('supervised', '1_8').model.decode_head.get('sampler') is None


@pytest.mark.parametrize('split', ['1_8', STEEP])
@pytest.mark.parametrize('semi_name', list(TAIL_ARMS))
def test_tail_arm_contains_its_baseline(semi_name, split, arm):
    semi, sup = arm(semi_name, split), arm(TAIL_ARMS[semi_name], split)
    recipe = arm('fixmatch+ema-burn+lt', split)
    # the recipe's semi-supervised settings around the supervised model
    assert semi.model.segmentor == sup.model
    assert dict(semi.model, segmentor=None) == dict(
        recipe.model, segmentor=None)
    assert semi.custom_hooks == recipe.custom_hooks
    # the same labelled data, the recipe's unlabelled data
    labelled = semi.train_dataloader.dataset.datasets[0]
    assert labelled.dataset == sup.train_dataloader.dataset.dataset
    assert labelled.split_file == sup.train_dataloader.dataset.split_file
    assert semi.train_dataloader == recipe.train_dataloader
    for key in ('train_cfg', 'param_scheduler', 'optim_wrapper',
                'val_dataloader', 'val_evaluator', 'randomness'):
        assert semi[key] == sup[key], key
    assert SEMI_BASELINES[semi_name] == TAIL_ARMS[semi_name]


def test_default_protocol():
    with mock.patch.object(sys, 'argv', ['semi_seg.py']):
        args = parse_args()
    assert args.iters == 3000
    assert args.splits == ['1_8', '1_4', STEEP]
    assert args.arms == DEFAULT_ARMS
    # every default semi-supervised arm's baseline is run with it
    for name in DEFAULT_ARMS:
        assert SEMI_BASELINES.get(name, 'supervised') in DEFAULT_ARMS
    with mock.patch.object(sys, 'argv', ['semi_seg.py', '--start',
                                         'simclr']), \
            pytest.raises(SystemExit):
        parse_args()
