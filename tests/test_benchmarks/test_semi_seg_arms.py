"""The optional arms of benchmarks/semi_seg.py build what they promise:
``fixmatch+oracle``, FixMatch whose pseudo-labels are the unlabelled scenes'
true masks and nothing else changed, ``fixmatch+ema-burn`` and its
``+flex``, ``+lt`` and ``+sar`` arms; ``--decoder deeplabv3plus`` swaps the
decoder of every arm alike and nothing else; and the 3,000-iteration
configs under configs/semi/ are the arms the benchmark measured."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from benchmarks.semi_seg import ARMS, DEFAULT_ARMS, run_name, stride_ceiling
from tests.utils import SEMI_CONFIGS, training_batches
from tests.utils import semi_seg_arm as arm


def test_only_the_model_and_the_unlabelled_masks_change(tmp_path):
    oracle, fixmatch = arm('fixmatch+oracle', tmp_path), arm(
        'fixmatch', tmp_path)
    assert oracle.model.type == 'OracleFixMatchSegmentor'
    assert oracle.model.segmentor == fixmatch.model.segmentor
    assert oracle.model.semi_train_cfg == fixmatch.model.semi_train_cfg
    assert oracle.train_dataloader.sampler == fixmatch.train_dataloader.sampler
    labelled, unlabelled = oracle.train_dataloader.dataset.datasets
    assert labelled == fixmatch.train_dataloader.dataset.datasets[0]
    plain = fixmatch.train_dataloader.dataset.datasets[1]
    assert unlabelled.split_file == plain.split_file
    assert unlabelled.labelled and not plain.labelled
    # the masks are loaded instead of the empty map; the rest is FixMatch's
    assert [s['type'] for s in plain.pipeline[:2]] == [
        'LoadImageFromFile', 'LoadEmptySegMap']
    assert [s['type'] for s in unlabelled.pipeline[:2]] == [
        'LoadImageFromFile', 'LoadAnnotations']
    assert unlabelled.pipeline[2:] == plain.pipeline[2:]


def test_unlabelled_views_carry_the_true_masks(tmp_path):
    cfg = arm('fixmatch+oracle', tmp_path)
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    [batch] = training_batches(cfg, tmp_path)
    unlabelled = [i for i, x in enumerate(batch['inputs']['unsup_weak'])
                  if x is not None]
    assert len(unlabelled) == 8
    for i in unlabelled:
        weak = batch['data_samples']['unsup_weak'][i].gt_sem_seg.data
        strong = batch['data_samples']['unsup_strong'][i].gt_sem_seg.data
        assert torch.equal(weak, strong)  # one geometry, one mask
    digits = torch.cat([
        batch['data_samples']['unsup_weak'][i].gt_sem_seg.data.flatten()
        for i in unlabelled])
    # an empty map would be all 0 (background)
    assert ((digits > 0) & (digits < 255)).any()


def test_pseudo_labels_are_the_masks_without_ignore(tmp_path):
    cfg = arm('fixmatch+oracle', tmp_path)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    masks = torch.tensor([[[0, 3], [255, 10]], [[7, 255], [0, 0]]])
    samples = [
        SegDataSample(gt_sem_seg=PixelData(data=m[None])) for m in masks
    ]
    pseudo = model.get_pseudo_labels(torch.zeros(2, 3, 2, 2), samples)
    assert pseudo.labels.tolist() == [[[0, 3], [0, 10]], [[7, 0], [0, 0]]]
    valid = [[[True, True], [False, True]], [[True, False], [True, True]]]
    assert pseudo.keep.tolist() == pseudo.valid.tolist() == \
        pseudo.pull.tolist() == valid
    assert pseudo.weight.tolist() == [[[float(v) for v in row]
                                       for row in img] for img in valid]


def test_ema_burn_in_arm_adds_the_teacher_and_its_hook(tmp_path):
    cfg, plain = arm('fixmatch+ema-burn', tmp_path), arm('fixmatch',
                                                         tmp_path)
    assert cfg.model.semi_train_cfg == dict(
        plain.model.semi_train_cfg, ema_teacher=True, burn_in_iters=1000,
        warmup_iters=500)
    assert cfg.custom_hooks == [dict(type='MeanTeacherHook')]
    assert cfg.model.segmentor == plain.model.segmentor
    assert cfg.train_dataloader == plain.train_dataloader


def test_ema_burn_in_variants_add_only_their_strategy_or_sar(tmp_path):
    ema = arm('fixmatch+ema-burn', tmp_path)
    flex = arm('fixmatch+ema-burn+flex', tmp_path)
    sar = arm('fixmatch+ema-burn+sar', tmp_path)
    lt = arm('fixmatch+ema-burn+lt', tmp_path)
    floor = arm('fixmatch+ema-burn+lt-floor', tmp_path)
    assert flex.model == dict(
        ema.model,
        pseudo_label=dict(type='FlexMatchThreshold', prior_norm=True))
    assert sar.model == dict(ema.model, sar=dict())
    assert lt.model == dict(ema.model,
                            pseudo_label=dict(type='DistributionMatching'))
    assert floor.model == dict(
        ema.model,
        pseudo_label=dict(type='DistributionMatching', min_threshold=0.95))
    assert arm('fixmatch+ema-burn+lt+sar', tmp_path).model == dict(
        lt.model, sar=dict())
    for cfg in (flex, sar, lt, floor):
        assert cfg.custom_hooks == ema.custom_hooks
        assert cfg.train_dataloader == ema.train_dataloader


def test_default_arms_are_the_issue_arms():
    assert DEFAULT_ARMS == [
        'supervised', 'supervised+sar', 'control', 'fixmatch',
        'fixmatch+sar', 'fixmatch+ema-burn+lt', 'fixmatch+ema-burn+lt+sar',
        'supervised+cbce', 'fixmatch+ema-burn+lt+cbce', 'supervised+sampler',
        'fixmatch+ema-burn+lt+sampler'
    ]
    assert set(DEFAULT_ARMS) < set(ARMS)


def test_deeplabv3plus_swaps_only_the_decoder_of_every_arm(tmp_path):
    fcn = {a: arm(a, tmp_path) for a in ('supervised', 'fixmatch+ema-burn')}
    dlv3 = {a: arm(a, tmp_path, decoder='deeplabv3plus') for a in fcn}
    supervised, semi = dlv3['supervised'], dlv3['fixmatch+ema-burn']
    # the semi-supervised arm still contains the supervised one
    assert semi.model.segmentor == supervised.model
    head = supervised.model.decode_head
    assert head.type == 'DepthwiseSeparableASPPHead'
    # ASPP on the last stage (128 channels, stride 8), fused with the first
    # stage's 16 channels at stride 4
    assert (head.in_index, head.in_channels) == (3, 128)
    assert head.c1_in_channels == 16 and head.num_classes == 11

    def without_head(model):
        return {k: v for k, v in model.items() if k != 'decode_head'}

    assert without_head(supervised.model) == without_head(
        fcn['supervised'].model)
    assert without_head(semi.model.segmentor) == without_head(
        fcn['fixmatch+ema-burn'].model.segmentor)
    assert dict(semi.model, segmentor=None) == dict(
        fcn['fixmatch+ema-burn'].model, segmentor=None)
    for name, cfg in dlv3.items():
        assert cfg.train_dataloader == fcn[name].train_dataloader
        assert cfg.get('custom_hooks') == fcn[name].get('custom_hooks')
    assert run_name('1_8', 'fixmatch', 'scratch', 'deeplabv3plus') == \
        'deeplabv3plus/1_8/fixmatch'
    assert run_name('1_8', 'fixmatch', 'simclr', 'deeplabv3plus') == \
        'simclr/deeplabv3plus/1_8/fixmatch'


def test_stride_ceiling_on_hand_made_masks():
    # one scene, 4 x 4: class 1 in the first column, 2 in the next two
    masks = torch.tensor([[[1, 2, 2, 0]] * 4])
    assert stride_ceiling(masks, 1) == 100
    # one cell at stride 4: shares 1/4, 1/2, 1/4 -> all of it class 2;
    # IoU 0 for 1 and 0, 8 / 16 for 2
    assert stride_ceiling(masks, 4) == pytest.approx(100 * 0.5 / 3)
    # classes absent from masks and prediction do not count
    assert stride_ceiling(masks, 4, num_classes=11) == pytest.approx(
        100 * 0.5 / 3)


@pytest.mark.parametrize('config, name, split', [
    ('fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-8-64x64', 'supervised', '1_8'),
    ('fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-4-64x64', 'supervised', '1_4'),
    ('fixmatch-ema-dm-fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-8-64x64',
     'fixmatch+ema-burn+lt', '1_8'),
    ('fixmatch-ema-dm-fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-4-64x64',
     'fixmatch+ema-burn+lt', '1_4'),
    ('fixmatch-ema-dm-sar-fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-8-64x64',
     'fixmatch+ema-burn+lt+sar', '1_8'),
])
def test_3k_configs_are_the_measured_arms(config, name, split, tmp_path):
    """What the configs recommend is what the benchmark measured at
    ``--iters 3000``."""
    cfg = Config.fromfile(SEMI_CONFIGS / f'{config}.py')
    measured = arm(name, tmp_path, split=split)
    assert cfg.model == measured.model
    assert cfg.get('custom_hooks') == measured.get('custom_hooks')
    assert cfg.train_dataloader == measured.train_dataloader
    assert cfg.train_cfg.max_iters == cfg.train_cfg.val_interval == 3000
    assert cfg.param_scheduler == [
        dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=3000,
             by_epoch=False)
    ]
    if 'segmentor' in cfg.model:  # contains the supervised 3k baseline
        supervised = Config.fromfile(
            SEMI_CONFIGS / (config.replace('fixmatch-ema-dm-sar-', '')
                            .replace('fixmatch-ema-dm-', '') + '.py')).model
        assert cfg.model.segmentor == supervised


@pytest.mark.parametrize('split', ['1_8', '1_4'])
def test_unimatch_gets_the_recipes_pseudo_labels(split, tmp_path):
    unimatch = arm('unimatch', tmp_path, split=split)
    recipe = arm('unimatch+ema-burn+lt', tmp_path, split=split)
    fixmatch_recipe = arm('fixmatch+ema-burn+lt', tmp_path, split=split)
    assert recipe.model.type == 'UniMatchSegmentor'
    # the recipe's settings, and nothing else, on top of UniMatch
    assert recipe.model == dict(
        unimatch.model,
        semi_train_cfg=fixmatch_recipe.model.semi_train_cfg,
        pseudo_label=fixmatch_recipe.model.pseudo_label)
    assert recipe.custom_hooks == fixmatch_recipe.custom_hooks
    assert recipe.train_dataloader == unimatch.train_dataloader
    labelled = recipe.train_dataloader.dataset.datasets[0]
    assert labelled.split_file.endswith(f'splits/{split}/labeled.txt')
    # it contains the supervised arm, as every semi-supervised arm does
    assert recipe.model.segmentor == arm('supervised', tmp_path,
                                         split=split).model
