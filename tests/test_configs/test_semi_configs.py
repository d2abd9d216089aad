"""Every segmentation config under configs/semi/: consistent schedules,
samplers and branches, and a model that builds; the demo's batches hold
the configured ratio, and the weak and strong views of an unlabelled
sample are pixel-aligned in the demo's and the reproduction configs'
pipelines."""
import copy
import functools

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

from tests.utils import SEMI_CONFIGS, TINY_SEMI, training_batches

# the segmentation configs; the SimCLR pre-training config of the
# benchmark's fair start has its own test (tests/test_benchmarks)
CONFIGS = sorted(c for c in SEMI_CONFIGS.glob('*.py')
                 if not c.name.startswith('simclr'))
SEMI = [c for c in CONFIGS if c.name.startswith(('fixmatch', 'unimatch'))]
VOC = SEMI_CONFIGS / \
    'unimatch-deeplabv3plus_r101-d16_4xb4-91k_voc12aug-1464-321x321.py'


@functools.lru_cache(maxsize=None)
def _load(path):
    return Config.fromfile(str(path))


def load(path):
    """A config, read once per session (reading one costs ~1 s)."""
    return copy.deepcopy(_load(path))


def branch_fields(dataset):
    return [
        step.branch_field for step in dataset.pipeline
        if step.type == 'MultiBranch'
    ]


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_schedule_is_consistent(config):
    cfg = load(config)
    assert cfg.param_scheduler[-1].end == cfg.train_cfg.max_iters
    assert cfg.train_cfg.max_iters % cfg.train_cfg.val_interval == 0


@pytest.mark.parametrize('config', SEMI, ids=lambda p: p.stem)
def test_semi_loaders_feed_the_models_branches(config):
    cfg = load(config)
    loader = cfg.train_dataloader
    assert loader.sampler.type == 'MultiSourceSampler'
    assert loader.sampler.batch_size == loader.batch_size
    labelled, unlabelled = loader.dataset.datasets
    assert labelled.get('labelled', True) and not unlabelled.labelled
    assert labelled.split_file.endswith('/labeled.txt')
    assert unlabelled.split_file == labelled.split_file.replace(
        'labeled.txt', 'unlabeled.txt')
    fields = branch_fields(labelled) + branch_fields(unlabelled)
    assert len(fields) == 2 and fields[0] == fields[1]
    init_default_scope('mmseg')
    model_cls = MODELS.get(cfg.model.type)
    needed = {model_cls.sup_branch, model_cls.weak_branch,
              *model_cls.strong_branches}
    assert needed == set(fields[0])
    if 'cityscapes' in config.name:
        assert cfg.model.semi_train_cfg.conf_thresh == 0.0
        assert cfg.model.segmentor.test_cfg.mode == 'slide'


def unique_models():
    """The first config of each distinct model (read when a test asks, not
    at collection: reading all of them takes half a minute)."""
    seen, unique = set(), []
    for config in CONFIGS:
        model = repr(load(config).model.to_dict())
        if model not in seen:
            seen.add(model)
            unique.append(config)
    return unique


def test_each_distinct_model_builds():
    configs = unique_models()
    assert len(configs) > 1
    for config in configs:
        check_model_builds(config)


def check_model_builds(config):
    cfg = load(config)
    model_cfg = copy.deepcopy(cfg.model)
    segmentor = model_cfg.get('segmentor', model_cfg)
    segmentor.pretrained = None
    init_default_scope('mmseg')
    with torch.device('meta'):  # the structure, without the weights' init
        model = MODELS.build(model_cfg)
    head = model.last_head if 'segmentor' in cfg.model else model.decode_head
    dataset = cfg.train_dataloader.dataset
    split = dataset.datasets[0] if 'datasets' in dataset else dataset
    classes = DATASETS.get(split.dataset.type).METAINFO['classes']
    assert head.num_classes == len(classes), config.name
    if 'sar' in config.name:
        assert model.sar.feat_channels == head.conv_seg.in_channels, \
            config.name


def test_demo_batches_hold_the_configured_ratio(tmp_path):
    cfg = load(TINY_SEMI)
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.sampler.update(batch_size=8, source_ratio=[1, 3])
    batches = training_batches(cfg, tmp_path, count=4)
    init_default_scope('mmseg')
    preprocessor = MODELS.build(
        dict(
            type='MultiBranchDataPreprocessor',
            data_preprocessor=cfg.model.segmentor.data_preprocessor))
    for batch in batches:
        present = {
            branch: [x is not None for x in inputs]
            for branch, inputs in batch['inputs'].items()
        }
        # labelled samples first, then unlabelled ones, 2 : 6
        assert present['sup'] == [True] * 2 + [False] * 6
        assert present['unsup_weak'] == present['unsup_strong'] == \
            [False] * 2 + [True] * 6
        data = preprocessor(batch, True)
        assert [len(data['inputs'][b]) for b in
                ('sup', 'unsup_weak', 'unsup_strong')] == [2, 6, 6]
        for branch in ('sup', 'unsup_weak', 'unsup_strong'):
            assert data['inputs'][branch].shape[2:] == (64, 64)


def views(pipeline, image, grey):
    """Run an unlabelled pipeline (after loading) with its strong view
    replaced by a greyscale conversion with probability 1."""
    steps = copy.deepcopy(pipeline[1:])
    branches = steps[-1]
    strong = [name for name in branches if name.startswith('unsup_strong')]
    for name in strong:
        branches[name] = [
            dict(type='RandomGrayscale', prob=1.0, keep_channels=True,
                 channel_weights=grey),
            *branches[name][-2:]  # the CutMix box and the pack
        ]
    init_default_scope('mmseg')
    out = Compose(steps)(
        dict(img=image.copy(), img_shape=image.shape[:2],
             ori_shape=image.shape[:2]))
    return out['inputs']['unsup_weak'], [out['inputs'][n] for n in strong]


@pytest.mark.parametrize('config', [TINY_SEMI, VOC], ids=['demo', 'voc'])
def test_weak_and_strong_views_are_pixel_aligned(config):
    cfg = load(config)
    pipeline = cfg.train_dataloader.dataset.datasets[1].pipeline
    grey = (0.114, 0.587, 0.299)
    rng = np.random.RandomState(0)
    image = rng.randint(0, 256, (80, 96, 3)).astype(np.uint8)
    weights = np.array(grey) / sum(grey)  # as RandomGrayscale computes
    weak_views = []
    for seed in range(4):
        np.random.seed(seed)
        weak, strong = views(pipeline, image, grey)
        expected = (weights * weak.permute(1, 2, 0).numpy()).sum(axis=2)
        expected = torch.from_numpy(expected.astype(np.uint8))
        for view in strong:
            assert view.shape == weak.shape
            for channel in view:
                assert torch.equal(channel, expected)
        weak_views.append(weak)
    # the geometry is random, so the agreement is not trivial
    assert any(a.shape != b.shape or not torch.equal(a, b)
               for a, b in zip(weak_views, weak_views[1:]))
