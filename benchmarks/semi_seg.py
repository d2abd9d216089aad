"""Semi-supervised segmentation on the built-in LTDigitScenes: does FixMatch
beat supervised-only training on the same labelled data, with and without
SAR, a long-tail-aware pseudo-labelling strategy and the long-tail
remedies in the labelled loss, also on a steep long tail; and what SAR
costs on top of FixMatch.

1. Accuracy, at the 1/8 and 1/4 splits (``data/lt_digit_scenes/splits``)
   and in the steep setting ``steep`` (:data:`STEEP_SCENES`: imbalance
   ratio 50, generation seed 1, its own data root
   ``data/lt_digit_scenes_r50_s1``, 1/16 of the train scenes labelled),
   with the demo configs under ``configs/semi/`` (FCN, small
   ResNet-18-D8 from scratch, 64 x 64 crops, 3000 iterations by default);
   at ``steep``, the 1/8 configs with every dataset moved to the steep
   scenes and their 1/16 lists, and the head / medium / tail groups to
   the steep train scenes' (:func:`steep_config`). Every
   semi-supervised arm contains the supervised one: the same labelled
   batch of 8 scenes at loss weight 1, the same schedule, seeds and
   initial weights, plus 8 unlabelled scenes per batch and their loss on
   top. Arms (by default, those of :data:`DEFAULT_ARMS`):

   - ``supervised``: the labelled scenes only;
   - ``supervised+sar``: the same with SAR (``SAREncoderDecoder``);
   - ``control``: FixMatch with the unlabelled loss at 0, which must
     reproduce ``supervised``;
   - ``fixmatch``, ``fixmatch+sar``;
   - ``fixmatch+ema-burn+lt`` (the recommended recipe,
     ``configs/semi/fixmatch-ema-dm-*``: pseudo-labels from the EMA
     teacher after a burn-in, :data:`EMA_BURN_IN`, selected by the
     long-tail-aware strategy :data:`LT_STRATEGY`) and
     ``fixmatch+ema-burn+lt+sar``;
   - the tail arms, the long-tail remedies of ``lt_seg.py`` in the
     labelled loss (the unlabelled loss unchanged): ``supervised+cbce``
     and ``fixmatch+ema-burn+lt+cbce`` with class-balanced CE weighted by
     the labelled split's class counts, ``supervised+sampler`` and
     ``fixmatch+ema-burn+lt+sampler`` with the LT pixel sampler;
   - optionally ``fixmatch+lt``, ``fixmatch+lt+sar``: :data:`LT_STRATEGY`
     on the student, from the first iteration;
   - optionally ``fixmatch+lt-floor``, ``fixmatch+lt-floor+sar``: the
     same under FixMatch's 0.95 confidence floor;
   - optionally ``fixmatch+ael``: AEL's class equalisation
     (``AdaptiveEqualization``);
   - optionally ``fixmatch+ema-burn``: pseudo-labels from the EMA teacher
     after a burn-in (:data:`EMA_BURN_IN`); ``fixmatch+ema-burn+sar`` adds
     SAR, ``fixmatch+ema-burn+flex`` FlexMatch's class-wise thresholds
     (:data:`FLEX_STRATEGY`), ``fixmatch+ema-burn+lt-floor`` the
     ``+lt-floor`` strategy on the burnt-in teacher;
   - optionally ``fixmatch+oracle``: a diagnostic, FixMatch with the
     ground truth as pseudo-labels (``semi_oracle.py``), the ceiling of
     any pseudo-labelling strategy under this pipeline and schedule;
   - optionally ``unimatch``, ``unimatch+sar``, and
     ``unimatch+ema-burn+lt``: UniMatch with the recommended recipe's
     pseudo-labels (EMA teacher after the burn-in, distribution matching).

   ``--start simclr`` gives every arm alike the "fair start": its backbone
   starts from SimCLR pre-training on the 400 train scenes without their
   labels (``configs/semi/simclr_r18-d8_1xb64-100e_lt-digit-scenes-64x64.py``,
   trained once first), as the reference's arms all start from ImageNet
   weights; it reports to ``semi_seg_simclr.{md,json}``. Not at
   ``steep``: the pre-training reads the default scenes.

   ``--decoder deeplabv3plus`` gives every arm alike DeepLabV3+'s decoder
   (ASPP fused with the stride-4 features,
   ``configs/semi/*deeplabv3plus_r18-d8_*``) instead of the FCN head: the
   stride-8 FCN caps mIoU at 52 even with perfect predictions, since the
   digits' strokes are thinner than its cells; its runs go under
   ``deeplabv3plus/``.

   Reports the final validation mIoU and head / medium / tail mIoU
   (groups of ``configs/_base_/datasets/lt_digit_scenes_class_stats.json``;
   at ``steep``, of the steep train scenes, written once to
   ``class_stats/train.json`` under their data root), mean and sample
   standard deviation over seeds, each semi-supervised arm minus the arm
   it contains (:data:`~benchmarks.common.SEMI_BASELINES`), and the
   pseudo-label quality of the final models on the unlabelled scenes.
   Writes the ``.md`` and ``semi_seg.json`` (``{split: {arm: {"miou":
   [...], "head": [...], "medium": [...], "tail": [...]}}}``, the steep
   setting under ``"steep"``) next to it. Finished runs under
   ``--work-dir`` are reused; ``--jobs 2`` trains two runs at a time.
2. Cost: training steps of FixMatch vs FixMatch + SAR, same initial
   weights, same batch, timed interleaved in one process; peak memory of
   each (CPU: peak resident set size during the steps, in a fresh process
   per arm, Linux only; GPU: peak allocated).
   On the demo model and on the Pascal VOC reproduction model
   (DeepLabV3+ R101, 21 classes) at a small crop.

Usage::

    python benchmarks/semi_seg.py --jobs 2              # default arms, 3 seeds
    python benchmarks/semi_seg.py --jobs 2 --splits 1_8 1_4 --start simclr \
        --skip-cost
    python benchmarks/semi_seg.py --jobs 2 --decoder deeplabv3plus \
        --arms supervised fixmatch+ema-burn --skip-cost
    python benchmarks/semi_seg.py --splits steep --arms supervised \
        supervised+cbce fixmatch+ema-burn+lt+cbce
    python benchmarks/semi_seg.py --iters 1000 --splits 1_8 1_4 \
        --arms supervised supervised+sar control fixmatch fixmatch+sar \
        fixmatch+lt fixmatch+lt+sar          # the 1,000-iteration protocol
    python benchmarks/semi_seg.py --iters 100 --seeds 0 --skip-cost
    python benchmarks/semi_seg.py --skip-train          # cost only
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from mmengine.config import Config  # noqa: E402
from mmengine.model import revert_sync_batchnorm  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmseg.registry import DATASETS, MODELS  # noqa: E402

from benchmarks.common import (LT_STRATEGY, SEMI_BASELINES,  # noqa: E402
                               add_run_args, add_subset_arg, paired_rows,
                               semi_seg_batch)
from benchmarks.lt_seg import (GROUPS, STATS,  # noqa: E402
                               finished_metrics, group_names, markdown_table,
                               mean_std, run_dir, summarise, train,
                               train_tool)
from benchmarks.semi_oracle import ORACLE_CONFIG  # noqa: E402
from sar_mm.analysis.label_counts import dataset_class_stats  # noqa: E402
from sar_mm.utils import ClassStats  # noqa: E402

SEMI = osp.join(REPO, 'configs/semi')
SCENES = osp.join(REPO, 'data/lt_digit_scenes')
#: The steep long tail (issue 28's case): LTDigitScenes at imbalance ratio
#: 50 from generation seed 1, under its own data root, with 1/16 of its
#: train scenes labelled (its own generated split, which labels every
#: class). Its arms are the 1/8 arms with their data moved there
#: (:func:`steep_config`).
STEEP = 'steep'
STEEP_SCENES = dict(
    type='LTDigitScenes',
    data_root=osp.join(REPO, 'data/lt_digit_scenes_r50_s1'),
    imbalance_ratio=50,
    seed=1)
STEEP_SPLIT = '1_16'
SPLITS = ['1_8', '1_4', STEEP]
#: The ``+lt-floor`` arms: the ``+lt`` strategy under FixMatch's 0.95.
LT_FLOOR_STRATEGY = dict(LT_STRATEGY, min_threshold=0.95)
#: The ``+ael`` arm: AEL's class equalisation (no threshold).
AEL_STRATEGY = dict(type='AdaptiveEqualization')
#: The ``+ema-burn`` arm, made for ``--iters 3000``: pseudo-labels from the
#: EMA teacher, the unlabelled loss off for 1,000 iterations, then ramped up
#: over 500 (Unbiased Teacher's burn-in, mmdet's MeanTeacherHook).
EMA_BURN_IN = dict(ema_teacher=True, burn_in_iters=1000, warmup_iters=500)
MEAN_TEACHER = "\ncustom_hooks = [dict(type='MeanTeacherHook')]\n"
#: The ``+flex`` arms: FlexMatch's class-wise thresholds, each class's
#: confident count divided by its labelled share, so that a tail class is
#: judged against its own expected pixels, not the background's.
FLEX_STRATEGY = dict(type='FlexMatchThreshold', prior_norm=True)
#: Stands for the labelled split's class statistics in an arm's settings;
#: :func:`arm_config` writes them (:func:`labelled_stats`) and puts their
#: path in its place.
LABELLED_STATS = '<labelled split class stats>'
# The tail arms' labelled loss: lt_seg.py's long-tail remedies on the
# decode head, class-balanced CE weighted by the labelled split's class
# counts (what a user has, not the whole train split's) or the LT sampler
# (its running count of the labels it sees: the labelled ones). The
# unlabelled loss keeps its own plain CE on the pseudo-labels
# (``pseudo_label_loss``, which reads neither): distribution matching
# already caps each class at its labelled share of the pseudo-labels, and
# weighting them too would change a second thing at once; so each semi
# arm minus the supervised arm with the same labelled loss measures the
# unlabelled loss alone.
BALANCED_HEAD = dict(
    loss_decode=dict(
        _delete_=True,
        type='ClassBalancedCrossEntropyLoss',
        stats_file=LABELLED_STATS))
SAMPLER_HEAD = dict(
    sampler=dict(type='LongTailPixelSampler'),
    loss_decode=dict(avg_non_ignore=True))


def recipe_with_head(head):
    """The ``fixmatch+ema-burn+lt`` arm (the recommended recipe) with
    ``head`` merged into its segmentor's decode head: another labelled
    loss."""
    return ('fixmatch-',
            dict(semi_train_cfg=EMA_BURN_IN, pseudo_label=LT_STRATEGY,
                 segmentor=dict(decode_head=head)), MEAN_TEACHER)


# name: (config prefix, model settings merged into the config[, more config])
ARMS = {
    'supervised': ('', {}),
    'supervised+sar': ('', dict(type='SAREncoderDecoder', sar=dict())),
    'control': ('fixmatch-', dict(semi_train_cfg=dict(unsup_weight=0.0))),
    'fixmatch': ('fixmatch-', {}),
    'fixmatch+sar': ('fixmatch-', dict(sar=dict())),
    'fixmatch+lt': ('fixmatch-', dict(pseudo_label=LT_STRATEGY)),
    'fixmatch+lt+sar': ('fixmatch-', dict(sar=dict(),
                                          pseudo_label=LT_STRATEGY)),
    'fixmatch+lt-floor': ('fixmatch-', dict(pseudo_label=LT_FLOOR_STRATEGY)),
    'fixmatch+lt-floor+sar': ('fixmatch-',
                              dict(sar=dict(),
                                   pseudo_label=LT_FLOOR_STRATEGY)),
    'fixmatch+ael': ('fixmatch-', dict(pseudo_label=AEL_STRATEGY)),
    'fixmatch+oracle': ('fixmatch-', dict(type='OracleFixMatchSegmentor'),
                        ORACLE_CONFIG),
    'fixmatch+ema-burn': ('fixmatch-', dict(semi_train_cfg=EMA_BURN_IN),
                          MEAN_TEACHER),
    'fixmatch+ema-burn+flex': ('fixmatch-',
                               dict(semi_train_cfg=EMA_BURN_IN,
                                    pseudo_label=FLEX_STRATEGY),
                               MEAN_TEACHER),
    'fixmatch+ema-burn+lt': ('fixmatch-',
                             dict(semi_train_cfg=EMA_BURN_IN,
                                  pseudo_label=LT_STRATEGY), MEAN_TEACHER),
    'fixmatch+ema-burn+lt-floor': ('fixmatch-',
                                   dict(semi_train_cfg=EMA_BURN_IN,
                                        pseudo_label=LT_FLOOR_STRATEGY),
                                   MEAN_TEACHER),
    'fixmatch+ema-burn+lt+sar': ('fixmatch-',
                                 dict(semi_train_cfg=EMA_BURN_IN,
                                      pseudo_label=LT_STRATEGY,
                                      sar=dict()), MEAN_TEACHER),
    'fixmatch+ema-burn+sar': ('fixmatch-',
                              dict(semi_train_cfg=EMA_BURN_IN, sar=dict()),
                              MEAN_TEACHER),
    'supervised+cbce': ('', dict(decode_head=BALANCED_HEAD)),
    'fixmatch+ema-burn+lt+cbce': recipe_with_head(BALANCED_HEAD),
    'supervised+sampler': ('', dict(decode_head=SAMPLER_HEAD)),
    'fixmatch+ema-burn+lt+sampler': recipe_with_head(SAMPLER_HEAD),
    'unimatch': ('unimatch-', {}),
    'unimatch+sar': ('unimatch-', dict(sar=dict())),
    'unimatch+ema-burn+lt': ('unimatch-',
                             dict(semi_train_cfg=EMA_BURN_IN,
                                  pseudo_label=LT_STRATEGY), MEAN_TEACHER),
}
#: The issue's arms (``fixmatch+ema-burn+lt`` is the recommended recipe,
#: ``configs/semi/fixmatch-ema-dm-*``); the others are run by name with
#: ``--arms``.
DEFAULT_ARMS = [
    'supervised', 'supervised+sar', 'control', 'fixmatch', 'fixmatch+sar',
    'fixmatch+ema-burn+lt', 'fixmatch+ema-burn+lt+sar', 'supervised+cbce',
    'fixmatch+ema-burn+lt+cbce', 'supervised+sampler',
    'fixmatch+ema-burn+lt+sampler'
]
#: Where every arm's backbone starts: from nothing, or from SimCLR
#: pre-training on the train scenes without their labels (the "fair start",
#: the counterpart of the reference's ImageNet weights).
STARTS = ['scratch', 'simclr']
#: The segmentor of every arm (its config names): the FCN demo, or the same
#: network with DeepLabV3+'s stride-4 decoder
#: (``configs/_base_/models/deeplabv3plus_r18-d8_lt-digit-scenes.py``).
DECODERS = {'fcn': 'fcn_r18-d8', 'deeplabv3plus': 'deeplabv3plus_r18-d8'}
DECODER_NAMES = {
    'fcn': 'FCN-R18-D8',
    'deeplabv3plus': 'DeepLabV3+ R18-D8, stride-4 decoder'
}
PRETRAIN_CONFIG = osp.join(
    SEMI, 'simclr_r18-d8_1xb64-100e_lt-digit-scenes-64x64.py')


def scenes(split):
    """The LTDigitScenes (dataset config) of a split's train scenes."""
    return (dict(STEEP_SCENES) if split == STEEP else dict(
        type='LTDigitScenes', data_root=SCENES))


def split_dir(split):
    """The folder of a split's labelled and unlabelled lists."""
    if split == STEEP:
        return osp.join(STEEP_SCENES['data_root'], 'splits', STEEP_SPLIT)
    return osp.join(SCENES, 'splits', split)


def write_class_stats(dataset, out):
    """The class statistics of a dataset's label maps, as
    ``tools/analysis_tools/class_stats.py`` counts them, written to ``out``
    once (generating the scenes first if need be) and reused after.

    Args:
        dataset (dict): Config of the dataset (built to list its masks).
        out (str): The statistics file.

    Returns:
        str: ``out``.
    """
    if osp.exists(out):
        return out
    stats, _ = dataset_class_stats(
        DATASETS.build(dataset),
        dataset,
        source=dict(
            dataset=dataset['type'],
            split='train',
            data_root=dataset.get('dataset', dataset)['data_root'],
            split_file=dataset.get('split_file', '')))
    os.makedirs(osp.dirname(out), exist_ok=True)
    # written beside and renamed: a reader never sees half a file
    tmp = f'{out}.tmp-{os.getpid()}'
    stats.dump(tmp)
    os.replace(tmp, out)
    return out


def train_stats(split):
    """The class statistics whose head / medium / tail groups LTIoUMetric
    reports at a split: its train scenes' (all of them, as the default
    scenes' ``configs/_base_/datasets/lt_digit_scenes_class_stats.json``)."""
    if split != STEEP:
        return STATS
    return write_class_stats(
        scenes(split),
        osp.join(scenes(split)['data_root'], 'class_stats', 'train.json'))


def labelled_stats(split):
    """The class statistics of a split's labelled list, written once under
    its data root (``class_stats/<split>_labeled.json``)."""
    name = STEEP_SPLIT if split == STEEP else split
    return write_class_stats(
        dict(type='SemiSplitDataset', dataset=scenes(split),
             split_file=osp.join(split_dir(split), 'labeled.txt')),
        osp.join(scenes(split)['data_root'], 'class_stats',
                 f'{name}_labeled.json'))


def steep_config(config, extra):
    """Config text that moves an arm of the 1/8 split (its config file and
    extra text) into the steep setting, data only: every LTDigitScenes of
    its dataloaders becomes :data:`STEEP_SCENES`, every split file the
    same list of the steep split, and LTIoUMetric's groups the steep train
    scenes'."""
    cfg = Config.fromstring(f"_base_ = ['{config}']\n{extra}\n", '.py')

    def move(node):
        if isinstance(node, list):
            return [move(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: move(value) for key, value in node.items()}
        if node.get('type') == 'LTDigitScenes':
            node.update(STEEP_SCENES)
        if 'split_file' in node:
            node['split_file'] = osp.join(
                split_dir(STEEP), osp.basename(node['split_file']))
        return node

    text = ''.join(
        f'\n{loader} = {dict(move(cfg[loader].to_dict()), _delete_=True)!r}'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'))
    stats = train_stats(STEEP)
    return text + ''.join(f"\n{evaluator} = dict(stats_file='{stats}')"
                          for evaluator in ('val_evaluator',
                                            'test_evaluator')) + '\n'


def config_file(split, prefix='', decoder='fcn'):
    """The config under ``configs/semi/`` an arm of a split starts from
    (at the steep split, the 1/8 one: :func:`steep_config` moves it)."""
    fraction = ('1_8' if split == STEEP else split).replace('_', '-')
    return osp.join(SEMI, f'{prefix}{DECODERS[decoder]}_1xb8-1k_lt-digit-'
                    f'scenes-{fraction}-64x64.py')


def arm_config(split, arm, checkpoint=None, decoder='fcn'):
    """(config file, extra text) of an arm at a split; with ``checkpoint``,
    its backbone starts from those weights."""
    prefix, model, *more = ARMS[arm]
    model = copy.deepcopy(model)
    if checkpoint:
        segmentor = model.setdefault('segmentor', {}) if prefix else model
        segmentor['backbone'] = dict(init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))
    config = config_file(split, prefix, decoder)
    extra = (f'model = {model!r}' if model else '') + ''.join(more)
    if LABELLED_STATS in extra:
        extra = extra.replace(LABELLED_STATS, labelled_stats(split))
    if split == STEEP:
        extra += steep_config(config, extra)
    return config, extra


def run_name(split, arm, start='scratch', decoder='fcn'):
    name = f'{split}/{arm}'
    if decoder != 'fcn':
        name = f'{decoder}/{name}'
    return name if start == 'scratch' else f'{start}/{name}'


def pretrain(work_root):
    """The SimCLR backbone every arm of ``--start simclr`` starts from: one
    pre-training run, reused once finished."""
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    work_dir = osp.abspath(osp.join(work_root, 'simclr_pretrain'))
    checkpoint = osp.join(work_dir,
                          f'epoch_{cfg.train_cfg.max_epochs}.pth')
    if not osp.exists(checkpoint):
        print('SimCLR pre-training on the train scenes ...', flush=True)
        train_tool(PRETRAIN_CONFIG, work_dir, 'SimCLR pre-training')
    return checkpoint


# (label, config, crop, labelled + unlabelled per batch)
COST_MODELS = [
    ('FCN-R18-D8 (the demo), 11 classes', arm_config('1_8', 'fixmatch')[0],
     64, 4),
    ('DeepLabV3+ R101-D16 (Pascal VOC), 21 classes',
     osp.join(SEMI, 'unimatch-deeplabv3plus_r101-d16_4xb4-91k_voc12aug-'
              '1464-321x321.py'), 128, 2),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=3000)
    add_run_args(parser, 'arms')
    add_subset_arg(parser, '--arms', ARMS, DEFAULT_ARMS)
    add_subset_arg(parser, '--splits', SPLITS, SPLITS)
    parser.add_argument(
        '--start', choices=STARTS, default='scratch',
        help='the backbone of every arm: from scratch, or SimCLR-pretrained '
        'on the train scenes without labels (trained first, once)')
    parser.add_argument(
        '--decoder', choices=DECODERS, default='fcn',
        help="every arm's decoder: the FCN demo's (stride 8) or "
        "DeepLabV3+'s (stride 4)")
    parser.add_argument('--work-dir', default='work_dirs/bench_semi_seg')
    parser.add_argument(
        '--out',
        help='report (default: benchmarks/results/semi_seg.md, '
        'semi_seg_simclr.md with --start simclr)')
    parser.add_argument('--skip-train', action='store_true')
    parser.add_argument('--skip-cost', action='store_true')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--cost-model', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--memory-arm', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.start == 'simclr' and STEEP in args.splits:
        parser.error('--start simclr pre-trains on the default scenes, not '
                     'the steep ones; leave out the steep split '
                     '(--splits 1_8 1_4)')
    if args.out is None:
        suffix = '' if args.start == 'scratch' else f'_{args.start}'
        args.out = osp.join(REPO, f'benchmarks/results/semi_seg{suffix}.md')
    return args


# ------------------------------------------------------- pseudo-labels


def measure_loader(dataset):
    """Batches of 8 scenes of a dataset config, in order, with their masks
    and without augmentation: what the measurements on final models read."""
    from mmengine.runner import Runner
    return Runner.build_dataloader(
        dict(batch_size=8, num_workers=0,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(dataset, pipeline=[
                 dict(type='LoadImageFromFile'),
                 dict(type='LoadAnnotations'),
                 dict(type='PackSegInputs')
             ])))


def pseudo_label_quality(split, arm, start, decoder, seed, iters, work_root,
                         threshold=0.95):
    """How good the final model's pseudo-labels on the unlabelled scenes
    would be, measured against their ground truth (which training never
    reads): the share of digit pixels (not background) predicted with
    confidence >= ``threshold``, and among those the share predicted as
    background and the share predicted as the right digit; and the same
    for each tail class (``tail``: class name -> its share predicted
    confidently, and of those the shares predicted as background, as
    itself and as another digit)."""
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(config_file(split, decoder=decoder))
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).eval()
    load_checkpoint(
        model,
        osp.join(run_dir(run_name(split, arm, start, decoder), seed, iters,
                         work_root),
                 f'iter_{iters}.pth'),
        map_location='cpu',
        logger='silent')
    loader = measure_loader(
        dict(type='SemiSplitDataset',
             dataset=scenes(split),
             # labelled=True only to read the masks for this measurement
             split_file=osp.join(split_dir(split), 'unlabeled.txt')))
    stats = ClassStats.load(train_stats(split))
    num_classes = len(stats.classes)
    # confident pixels by (true class, predicted class); pixels by class
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
    pixels = torch.zeros(num_classes, dtype=torch.long)
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                conf, pred = sample.seg_logits.data.softmax(0).max(0)
                gt = sample.gt_sem_seg.data[0]
                labelled = gt < num_classes
                pixels += torch.bincount(gt[labelled], minlength=num_classes)
                sure = labelled & (conf >= threshold)
                confusion += torch.bincount(
                    gt[sure] * num_classes + pred[sure],
                    minlength=num_classes**2).view(num_classes, num_classes)

    def shares(classes):
        sure = confusion[classes]
        confident = int(sure.sum())
        right = int(sum(sure[i, c] for i, c in enumerate(classes)))
        background = int(sure[:, 0].sum())
        return dict(
            confident=100 * confident / max(int(pixels[classes].sum()), 1),
            background=100 * background / max(confident, 1),
            accuracy=100 * right / max(confident, 1),
            other=100 * (confident - right - background) / max(confident, 1))

    quality = shares(list(range(1, num_classes)))  # every digit
    quality['tail'] = {
        stats.classes[c]: shares([c])
        for c in stats.groups['tail']
    }
    return quality


def stride_ceiling(masks, stride, num_classes=11):
    """mIoU (%) of the best prediction a decoder of output ``stride`` can
    make of ``masks`` (N, H, W): each ``stride`` x ``stride`` cell's exact
    class shares, upsampled bilinearly as mmseg resizes logits, then the
    argmax. Classes in neither the masks nor the prediction are left out,
    as in mmseg's mIoU."""
    from mmseg.evaluation import IoUMetric
    shares = torch.nn.functional.one_hot(masks, num_classes).permute(
        0, 3, 1, 2).float()
    pred = torch.nn.functional.interpolate(
        torch.nn.functional.avg_pool2d(shares, stride),
        size=masks.shape[-2:],
        mode='bilinear',
        align_corners=False).argmax(1)
    inter, union, _, _ = IoUMetric.intersect_and_union(
        pred, masks, num_classes, ignore_index=255)
    present = union > 0
    return 100 * (inter[present] / union[present]).mean().item()


def val_masks():
    """The val scenes' masks, (N, 64, 64)."""
    import glob

    import mmcv
    paths = sorted(glob.glob(osp.join(SCENES, 'ann_dir/val/*.png')))
    return torch.stack([
        torch.from_numpy(mmcv.imread(p, flag='unchanged')).long()
        for p in paths
    ])


# ------------------------------------------------------------------ cost


def build_fixmatch(config, crop, device, sar):
    """FixMatch on the config's segmentor, with or without SAR; the same
    initial weights either way."""
    init_default_scope('mmseg')
    segmentor = Config.fromfile(config).model.segmentor
    segmentor.pretrained = None
    segmentor.backbone.init_cfg = None
    segmentor.data_preprocessor.size = (crop, crop)
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='FixMatchSegmentor',
            segmentor=segmentor,
            sar=dict() if sar else None))
    if not device.startswith('cuda'):
        model = revert_sync_batchnorm(model)
    return model.to(device).train()


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def interleaved_steps(config, crop, per_source, device, repeats):
    models = [build_fixmatch(config, crop, device, sar) for sar in (0, 1)]
    optims = [
        OptimWrapper(torch.optim.SGD(m.parameters(), lr=1e-4))
        for m in models
    ]
    data = semi_seg_batch(models[0].last_head.num_classes, crop, per_source)
    times = ([], [])
    for rep in range(repeats + 2):
        order = (0, 1) if rep % 2 == 0 else (1, 0)
        for arm in order:
            sync(device)
            start = time.perf_counter()
            models[arm].train_step(copy.deepcopy(data), optims[arm])
            sync(device)
            if rep >= 2:  # warm-up
                times[arm].append(time.perf_counter() - start)
    return times


def peak_memory(index, arm, crop, per_source, device):
    """Peak memory during three training steps of one arm (after the
    imports and the model build, whose own peak would hide the steps')."""
    _, config, _, _ = COST_MODELS[index]
    model = build_fixmatch(config, crop, device, arm == 'sar')
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-4))
    data = semi_seg_batch(model.last_head.num_classes, crop, per_source)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    else:
        # Linux: writing 5 resets the peak resident set size (VmHWM)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    for _ in range(3):
        model.train_step(copy.deepcopy(data), optim)
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated()
    with open('/proc/self/status') as f:
        peak_kib = next(int(line.split()[1]) for line in f
                        if line.startswith('VmHWM:'))
    return peak_kib * 1024


def arm_peaks(index, crop, per_source, device):
    if device.startswith('cuda'):
        return {
            arm: peak_memory(index, arm, crop, per_source, device)
            for arm in ('fixmatch', 'sar')
        }
    peaks = {}
    for arm in ('fixmatch', 'sar'):  # a fresh process per arm
        out = subprocess.run([
            sys.executable, __file__, '--cost-model',
            str(index), '--memory-arm', arm, '--device', device
        ],
                             capture_output=True,
                             text=True,
                             check=True)
        peaks[arm] = int(out.stdout.strip().splitlines()[-1])
    return peaks


def cost(device, repeats):
    rows = []
    for index, (label, config, crop, per_source) in enumerate(COST_MODELS):
        base, sar = interleaved_steps(config, crop, per_source, device,
                                      repeats)
        ratios = [s / b for b, s in zip(base, sar)]
        peaks = arm_peaks(index, crop, per_source, device)
        rows.append(
            dict(
                model=label,
                crop=crop,
                per_source=per_source,
                fixmatch_s=statistics.median(base),
                sar_s=statistics.median(sar),
                ratio=statistics.median(ratios),
                ratio_spread=statistics.pstdev(ratios),
                peak_fixmatch=peaks['fixmatch'],
                peak_sar=peaks['sar']))
        print(rows[-1], flush=True)
    return rows


def cost_markdown(rows, device, repeats):
    kind = 'peak allocated' if device.startswith('cuda') else 'peak RSS'
    lines = [
        f'{device} ({torch.get_num_threads()} thread(s)), {repeats} '
        f'interleaved training steps per arm (pseudo-labelling, CutMix, '
        f'both forward passes, backward, SGD step) on the same initial '
        f'weights and batch; step time medians, ratio median ± sd over the '
        f'step pairs; {kind} of three steps in a fresh process per arm.',
        '',
        f'| model | crop | batch | FixMatch step | FixMatch + SAR step | '
        f'time ratio | {kind} ratio |',
        '|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        lines.append(
            f'| {r["model"]} | {r["crop"]} | {r["per_source"]} + '
            f'{r["per_source"]} | {r["fixmatch_s"]:.3f} s | '
            f'{r["sar_s"]:.3f} s | {r["ratio"]:.3f} ± '
            f'{r["ratio_spread"]:.3f} | '
            f'{r["peak_sar"] / r["peak_fixmatch"]:.3f} '
            f'({r["peak_fixmatch"] / 2**20:.0f} vs '
            f'{r["peak_sar"] / 2**20:.0f} MiB) |')
    return '\n'.join(lines)


# -------------------------------------------------------------- accuracy

KEYS = {'miou': 'mIoU', 'head': 'mIoU.head', 'medium': 'mIoU.medium',
        'tail': 'mIoU.tail'}


def train_all(args):
    """{(split, seed, arm): final metrics}, ``args.jobs`` runs at a time,
    seed by seed so that every arm has a first result early."""
    jobs = [(split, seed, arm) for split in args.splits
            for seed in args.seeds for arm in args.arms]
    start = args.start, args.decoder
    if args.report_only:
        return {
            job: finished_metrics(run_name(job[0], job[2], *start),
                                  job[1], args.iters, args.work_dir)
            for job in jobs
        }
    checkpoint = pretrain(args.work_dir) if args.start == 'simclr' else None
    arms = {
        run_name(split, arm, *start):
        arm_config(split, arm, checkpoint, args.decoder)
        for split in args.splits for arm in args.arms
    }
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            job: pool.submit(train, run_name(job[0], job[2], *start),
                             job[1], args.iters, args.work_dir, arms)
            for job in jobs
        }
        return {job: future.result() for job, future in futures.items()}


def paired_section(results):
    """Each arm minus its baseline, seed by seed (the same seed gives both
    the same initial weights): mean ± sample std."""
    rows = paired_rows(results, SEMI_BASELINES)
    if not rows:
        return []
    return [
        'Each semi-supervised arm minus the arm it contains, seed by seed '
        '(the same seed gives both the same initial weights; the data '
        'order differs); mean ± sample std of the differences.', '',
        '| arm | minus | mIoU | tail mIoU |', '|---|---|---|---|', *rows, ''
    ]


def labelled_counts(split):
    """A line: each class's labelled pixels (and scenes) in a split, what
    the labelled loss and the class prior have to go on."""
    stats = ClassStats.load(labelled_stats(split))
    return 'Labelled pixels (scenes) per class in this split: ' + ', '.join(
        f'{name} {pixels} ({images})' for name, pixels, images in zip(
            stats.classes, stats.pixel_counts, stats.image_counts)) + '.'


def train_sections(args):
    runs = train_all(args)
    masks = val_masks()
    report, sections = {}, [
        'What the output stride alone allows: a perfect map at stride 8 '
        "(the FCN's), upsampled as mmseg does, scores "
        f'{stride_ceiling(masks, 8):.2f} mIoU on the val scenes (of the '
        f'built-in LTDigitScenes); at '
        "stride 4 (DeepLabV3+'s decoder) "
        f'{stride_ceiling(masks, 4):.2f}.', ''
    ]
    for split in args.splits:
        # with --report-only, the arms every seed of which has finished
        results = {
            arm: [runs[split, seed, arm] for seed in args.seeds]
            for arm in args.arms
            if all(runs[split, seed, arm] for seed in args.seeds)
        }
        missing = [arm for arm in args.arms if arm not in results]
        report[split] = {
            arm: {key: [run.get(metric) for run in results[arm]]
                  for key, metric in KEYS.items()}
            for arm in results
        }
        table = markdown_table(summarise(results))
        print(table)
        start = ('from scratch' if args.start == 'scratch' else
                 f'with the backbone of '
                 f'`{osp.relpath(PRETRAIN_CONFIG, REPO)}`')
        network = DECODER_NAMES[args.decoder]
        data = osp.relpath(split_dir(split), REPO)
        if split == STEEP:
            heading = ('The steep long tail: 1/16 of the train scenes '
                       'labelled, imbalance ratio 50')
            data = (f'LTDigitScenes at imbalance ratio '
                    f'{STEEP_SCENES["imbalance_ratio"]}, generation seed '
                    f'{STEEP_SCENES["seed"]}, `{data}` (it labels every '
                    f'class), the 1/8 configs with their data moved there')
        else:
            heading = f'{split.replace("_", "/")} of the train scenes labelled'
            data = (f'LTDigitScenes (built in), `{data}`, the demo configs '
                    f'under `configs/semi/`')
        sections += [
            f'## {heading}', '',
            f'{data} ({network} '
            f'{start}, 64 x 64), {args.iters} iterations for every '
            f'arm, seeds {", ".join(map(str, args.seeds))}; final '
            f'validation mIoU (%), mean ± sample std over seeds. Every '
            f'batch holds the same 8 labelled scenes at loss weight 1; the '
            f'semi-supervised arms add 8 unlabelled ones. Groups: the train '
            f"split's class thirds by pixel frequency "
            f'({group_names(train_stats(split))}).',
            '', table, '', labelled_counts(split), ''
        ]
        if missing:
            sections += [f'Not run at this split: {", ".join(missing)}.', '']
        sections += paired_section(results)
        quality = {
            arm: [
                pseudo_label_quality(split, arm, args.start, args.decoder,
                                     seed, args.iters, args.work_dir)
                for seed in args.seeds
            ]
            for arm in results
        }
        sections += [
            'Pseudo-label quality of the final models on the unlabelled '
            'scenes, against their ground truth (never read in training): '
            'the share of digit pixels (not background) predicted with '
            'confidence >= 0.95, and among those the share predicted as '
            'background and as the right digit; mean ± sample std over '
            'seeds.', '',
            '| method | confident digit pixels (%) | of those: background (%) '
            '| of those: right digit (%) |', '|---|---|---|---|'
        ]
        for arm, values in quality.items():
            cells = [
                '{:.2f} ± {:.2f}'.format(*mean_std([r[k] for r in values]))
                for k in ('confident', 'background', 'accuracy')
            ]
            sections.append(f'| {arm} | ' + ' | '.join(cells) + ' |')
        sections += [
            '', 'The same for each tail class: the share of its pixels '
            'predicted with confidence >= 0.95, and among those the shares '
            'predicted as background, as the class itself and as another '
            'digit (the tail rows of the confusion matrix of confident '
            'pseudo-labels); mean ± sample std over seeds.', '',
            '| method | tail class | confident (%) | background (%) '
            '| itself (%) | another digit (%) |', '|---|---|---|---|---|---|'
        ]
        for arm, values in quality.items():
            for name in values[0]['tail']:
                cells = [
                    '{:.2f} ± {:.2f}'.format(*mean_std(
                        [r['tail'][name][k] for r in values]))
                    for k in ('confident', 'background', 'accuracy', 'other')
                ]
                sections.append(f'| {arm} | {name} | ' + ' | '.join(cells) +
                                ' |')
        sections += [
            '', 'Per seed (mIoU / ' +
            ' / '.join(f'{g} mIoU' for g in GROUPS) + '):', ''
        ]
        for arm, values in results.items():
            per_seed = ', '.join(' / '.join(
                f'{run.get(k, float("nan")):.2f}'
                for k in ['mIoU'] + [f'mIoU.{g}' for g in GROUPS])
                                 for run in values)
            sections.append(f'- {arm}: {per_seed}')
        sections.append('')
    out = osp.splitext(args.out)[0] + '.json'
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(report, f, indent=2)
    return sections


# ------------------------------------------------------------------ main


def main():
    args = parse_args()
    if args.memory_arm:
        _, _, crop, per_source = COST_MODELS[args.cost_model]
        print(
            peak_memory(args.cost_model, args.memory_arm, crop, per_source,
                        args.device))
        return
    title = '# Semi-supervised segmentation benchmark'
    if args.start == 'simclr':
        title += (': the fair start\n\nEvery arm starts from the same '
                  'backbone, pre-trained by SimCLR on the 400 train scenes '
                  'without their labels, as the reference starts every arm '
                  'from ImageNet weights.')
    sections = [title, '']
    if not args.skip_train:
        sections += train_sections(args)
    if not args.skip_cost:
        rows = cost(args.device, args.repeats)
        text = cost_markdown(rows, args.device, args.repeats)
        print(text)
        sections += ['## What SAR costs on top of FixMatch', '', text, '']
        os.makedirs(args.work_dir, exist_ok=True)
        with open(osp.join(args.work_dir, 'cost.json'), 'w') as f:
            json.dump(rows, f, indent=2)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write('\n'.join(sections))
    print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
