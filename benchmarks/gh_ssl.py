"""SimCLR vs SimCLR + Geometric Harmonization (GH) on the built-in LTDigits.

Two measurements, written as markdown to stdout and to
``benchmarks/results/gh_ssl.md``, with the raw numbers in ``gh_ssl.json``:

1. Linear-probe accuracy, per seed, at one imbalance ratio of the
   pre-training set (``--imbalance``): pre-train ``configs/demo/
   simclr_lt-digits.py`` and ``simclr_lt-digits_gh.py`` (the same schedule,
   the same initial weights and data order; GH is the only difference),
   then train ``configs/demo/linear-probe_lt-digits.py`` on each frozen
   backbone. Reported as mean ± sd over the seeds: top-1, many/medium/few
   shot accuracy (LTAccuracy) and the standard deviation of the per-class
   accuracies (the paper's uniformity measure; lower is more uniform).
   Beside them, the geometry of the frozen backbone's features on the
   balanced test split (:func:`sar_mm.analysis.feature_geometry`), averaged
   over the classes of each shot group: NC1, the spread of a class in units
   of the spread of the class means, and the angle from a class mean to the
   nearest other one. A collapsed tail has a larger NC1 and smaller angles
   than the head. Each ratio is a setting of its own in the JSON; a run
   replaces its setting and keeps the others, and the report shows all.
2. Step time of GH vs plain SimCLR: both models built from the demo
   configs with the same weights, GH active (weight 1, prior estimated),
   training steps on the same real batches, interleaved in one process so
   machine load hits every arm alike. A third arm runs Sinkhorn for a fixed
   300 iterations (the reference's behaviour, ``sinkhorn_tol=0``).

Usage::

    python benchmarks/gh_ssl.py                          # 3 seeds, 100 epochs
    python benchmarks/gh_ssl.py --imbalance 100 --steps 0  # the steep tail,
                                                           # keep the timing
    python benchmarks/gh_ssl.py --report-only            # from gh_ssl.json
    python benchmarks/gh_ssl.py --seeds 0 --epochs 10 --out /tmp/gh  # check
"""
import argparse
import copy
import json
import os.path as osp
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmpretrain.registry import DATASETS, MODELS  # noqa: E402

from benchmarks.common import (add_subset_arg, mean_std,  # noqa: E402
                               write_report)
from sar_mm.analysis import (extract_features, feature_geometry,  # noqa: E402
                             simplex_angle)
from sar_mm.engine.launch import run_cli  # noqa: E402
from sar_mm.evaluation.metrics.lt_accuracy import shot_groups  # noqa: E402
from sar_mm.utils.errors import UserInputError  # noqa: E402

DEMO = osp.join(REPO, 'configs', 'demo')
ARMS = {
    'SimCLR': 'simclr_lt-digits.py',
    'SimCLR + GH': 'simclr_lt-digits_gh.py',
}
PROBE = 'linear-probe_lt-digits.py'
RESULTS = osp.join(REPO, 'benchmarks', 'results', 'gh_ssl')
#: LTAccuracy's shot-group thresholds (its defaults, the probe's metric)
MANY_THRESH, FEW_THRESH = 100, 20
#: Per-class geometry reported by shot group: (key, column name)
GEOMETRY = (('nc1', 'NC1'), ('min_angle', 'nearest-mean angle'))
GROUPS = ('many', 'medium', 'few')


def load(name, epochs=None, imbalance=None):
    """A demo config; ``epochs`` rescales its schedule (warm-up at half),
    ``imbalance`` sets the head/tail ratio of the long-tailed pre-training
    set (the probe's test split reads its shot groups from it; the probe's
    training split stays balanced)."""
    cfg = Config.fromfile(osp.join(DEMO, name))
    if imbalance is not None:
        for split in ('train', 'val', 'test'):
            dataset = cfg.get(f'{split}_dataloader', {}).get('dataset', {})
            if dataset.get('imbalance_ratio', 1) != 1:
                dataset.imbalance_ratio = imbalance
    if epochs is not None and 'warmup_epochs' in cfg:
        warmup = epochs // 2
        cfg.train_cfg.max_epochs = epochs
        cfg.param_scheduler[1].end = warmup
        cfg.param_scheduler[2].begin = warmup
        cfg.param_scheduler[2].end = epochs
        cfg.default_hooks.checkpoint.interval = epochs
        for hook in cfg.get('custom_hooks', []):
            if hook.type == 'GHScheduleHook':
                hook.warmup_epochs = warmup
    return cfg


def run(cfg, work_dir, seed, name):
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.experiment_name = name
    cfg.default_hooks.logger.interval = 1000
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def pretrain_and_probe(arm, seed, epochs, probe_epochs, imbalance, root):
    cfg = load(ARMS[arm], epochs, imbalance)
    tag = f'{ARMS[arm][:-3]}_seed{seed}'
    runner = run(cfg, osp.join(root, tag), seed, tag)
    checkpoint = osp.join(runner.work_dir,
                          f'epoch_{cfg.train_cfg.max_epochs}.pth')
    probe = load(PROBE, imbalance=imbalance)
    probe.model.backbone.init_cfg.checkpoint = checkpoint
    if probe_epochs is not None:
        probe.train_cfg.max_epochs = probe_epochs
        probe.param_scheduler.gamma = 1e-2**(1 / probe_epochs)
    probe.train_cfg.val_interval = probe.train_cfg.max_epochs + 1
    probe_runner = run(probe, osp.join(root, f'probe_{tag}'), seed,
                       f'probe_{tag}')
    metrics = probe_runner.test()
    per_class = [v for k, v in metrics.items() if '/per_class/' in k]
    result = dict(
        top1=metrics['accuracy/top1'],
        many=metrics['accuracy/many'],
        medium=metrics['accuracy/medium'],
        few=metrics['accuracy/few'],
        class_sd=float(np.std(per_class)),
        per_class=per_class)
    # the probe's input: the frozen pre-trained backbone's pooled features
    model = probe_runner.model.eval()
    features = extract_features(
        model, probe_runner.test_dataloader, progress=False)
    geometry = feature_geometry(features.features, features.labels,
                                features.num_classes)
    groups = shot_groups(
        probe_runner.test_dataloader.dataset.metainfo['class_counts'],
        MANY_THRESH, FEW_THRESH)
    for group, means in geometry.group_means(groups).items():
        for key, _ in GEOMETRY:
            result[f'{key}/{group}'] = means[key]
    for key, _ in GEOMETRY:
        result[f'{key}/per_class'] = geometry.per_class[key].tolist()
    return result


def step_times(steps, warmup=3):
    """Median train-step times of SimCLR, GH and GH with 300 fixed Sinkhorn
    iterations, interleaved on the same batches."""
    init_default_scope('mmpretrain')
    cfg = load(ARMS['SimCLR + GH'])
    arms = {}
    for arm, tol in (('SimCLR', None), ('SimCLR + GH', None),
                     ('SimCLR + GH, 300 Sinkhorn iterations', 0.0)):
        model_cfg = copy.deepcopy(cfg.model)
        if tol is None and arm == 'SimCLR':
            model_cfg.type = 'SimCLR'
            model_cfg.pop('gh_loss')
        elif tol is not None:
            model_cfg.gh_loss.sinkhorn_tol = tol
        torch.manual_seed(0)
        model = MODELS.build(model_cfg).train()
        arms[arm] = (model,
                     OptimWrapper(
                         torch.optim.SGD(model.parameters(), lr=0.1,
                                         momentum=0.9)))
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    for name, (model, _) in arms.items():
        if name != 'SimCLR':
            # the steady GH phase: full weight, a long-tailed prior
            model.gh_loss.resize_table(len(loader.dataset))
            model.gh_loss.prior.copy_(
                torch.softmax(-torch.arange(10.) / 3, 0))
    batches = []
    while len(batches) < warmup + steps:
        batches.extend(loader)
    times = {name: [] for name in arms}
    for i, batch in enumerate(batches[:warmup + steps]):
        for name, (model, optim) in arms.items():
            start = time.perf_counter()
            model.train_step(copy.deepcopy(batch), optim)
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def mean_sd(values, digits=1):
    return '{:.{d}f} ± {:.{d}f}'.format(*mean_std(values), d=digits)


def digits_of(members):
    """'digit 0', 'digits 8, 9'."""
    names = ', '.join(map(str, members))
    return f'digit{"s" if len(members) > 1 else ""} {names}'


def setting_report(setting):
    """The markdown of one imbalance ratio's runs (a ``setting`` of the
    JSON)."""
    seeds, runs = setting['seeds'], setting['runs']
    counts = setting['class_counts']
    groups = shot_groups(counts, MANY_THRESH, FEW_THRESH)
    lines = [
        f'## SimCLR vs SimCLR + GH on LTDigits (imbalance '
        f'{setting["imbalance"]:g}), {len(seeds)} seed(s): '
        f'{", ".join(map(str, seeds))}',
        '',
        f'Pre-training: {setting["epochs"]} epochs (GH after half of them) '
        f'on {sum(counts)} images, per digit {", ".join(map(str, counts))}; '
        f'linear probe on the balanced train split, '
        f'{setting["probe_epochs"]} epochs; balanced test split, 50 images '
        f'per digit. Accuracy in %, mean ± sd over seeds. Shot groups by '
        f'pre-training count: many > {MANY_THRESH} '
        f'({digits_of(groups["many"])}), few < {FEW_THRESH} '
        f'({digits_of(groups["few"])}), medium the rest. class sd: standard '
        f'deviation of the 10 per-class accuracies (lower is more uniform).',
        '',
        '| method | top-1 | many | medium | few | class sd |',
        '|---|---|---|---|---|---|',
    ]
    for arm, results in runs.items():
        cells = [
            mean_sd([r[key] for r in results])
            for key in ('top1', 'many', 'medium', 'few', 'class_sd')
        ]
        lines.append(f'| {arm} | ' + ' | '.join(cells) + ' |')
    geometry = [(key, name, group) for key, name in GEOMETRY
                for group in GROUPS]
    if all(f'{key}/{group}' in r for key, _, group in geometry
           for results in runs.values() for r in results):
        lines += [
            '',
            'Geometry of the frozen backbone\'s features (the probe\'s '
            'input) on the balanced test split, the mean over the classes '
            'of each shot group, mean ± sd over seeds. NC1: the spread of a '
            'class in units of the spread of the class means (lower is '
            'tighter). Nearest-mean angle: degrees from the centred class '
            'mean to the nearest other one (higher is better separated; a '
            f'regular simplex of 10 has {setting["simplex_angle"]:.1f}). '
            'A collapsed tail: higher NC1, smaller angle than the head.',
            '',
            '| method | ' + ' | '.join(f'{name} {group}'
                                     for _, name, group in geometry) + ' |',
            '|---|' + '---|' * len(geometry),
        ]
        for arm, results in runs.items():
            cells = [
                mean_sd([r[f'{key}/{group}'] for r in results],
                        2 if key == 'nc1' else 1)
                for key, _, group in geometry
            ]
            lines.append(f'| {arm} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append('Per seed (top-1 / few / class sd):')
    lines.append('')
    for arm, results in runs.items():
        per_seed = '; '.join(
            f'seed {s}: {r["top1"]:.1f} / {r["few"]:.1f} / '
            f'{r["class_sd"]:.1f}' for s, r in zip(seeds, results))
        lines.append(f'- {arm}: {per_seed}')
    return lines


def tail_report(settings):
    """SimCLR's tail across the ratios: the few-shot digits of the steepest
    setting against the other digits, the same test images at every ratio,
    so a digit's own difficulty cancels out of the comparison."""
    tail = shot_groups(settings[-1]['class_counts'], MANY_THRESH,
                       FEW_THRESH)['few']
    rest = np.setdiff1d(np.arange(len(settings[-1]['class_counts'])), tail)
    columns = (('per_class', 'accuracy', 1), ('nc1/per_class', 'NC1', 2),
               ('min_angle/per_class', 'nearest-mean angle', 1))
    lines = [
        f'## SimCLR\'s tail across the ratios: {digits_of(tail)} against '
        f'the rest',
        '',
        f'The few-shot digits at imbalance '
        f'{settings[-1]["imbalance"]:g} and the other digits, at each '
        f'ratio: mean over the digits of their probe accuracy (%) and '
        f'feature geometry (as above), mean ± sd over seeds. The same '
        f'digits and test images in every row, so what changes is only '
        f'how few pre-training images the tail has.',
        '',
        '| imbalance | tail images | ' + ' | '.join(
            f'{name} {part}' for _, name, _ in columns
            for part in ('tail', 'rest')) + ' |',
        '|---|---|' + '---|' * (2 * len(columns)),
    ]
    for setting in settings:
        runs = setting['runs']['SimCLR']
        cells = [
            mean_sd([float(np.mean(np.asarray(r[key])[part]))
                     for r in runs], digits)
            for key, _, digits in columns for part in (tail, rest)
        ]
        images = sum(np.asarray(setting['class_counts'])[tail])
        lines.append(f'| {setting["imbalance"]:g} | {images} | ' +
                     ' | '.join(cells) + ' |')
    num_digits = len(settings[-1]['class_counts'])
    lines += [
        '',
        'Per digit, mean over seeds:',
        '',
        '| imbalance | | ' + ' | '.join(map(str, range(num_digits))) + ' |',
        '|---|---|' + '---|' * num_digits,
    ]
    for setting in settings:
        runs = setting['runs']['SimCLR']
        rows = [('pre-training images', setting['class_counts'])] + [
            (name, [
                f'{value:.{digits}f}'
                for value in np.mean([r[key] for r in runs], axis=0)
            ]) for key, name, digits in columns
        ]
        for name, values in rows:
            lines.append(f'| {setting["imbalance"]:g} | {name} | ' +
                         ' | '.join(map(str, values)) + ' |')
    return lines


def report(data):
    """The markdown of every setting in ``data`` (by imbalance ratio), of
    SimCLR's tail across them and of the step times."""
    lines = []
    settings = sorted(data['settings'].values(),
                      key=lambda setting: setting['imbalance'])
    for setting in settings:
        lines += setting_report(setting) + ['']
    # the per-digit numbers are in the runs of every setting
    with_tail = [
        s for s in settings if 'SimCLR' in s['runs']
        and 'min_angle/per_class' in s['runs']['SimCLR'][0]
    ]
    if len(with_tail) > 1:
        lines += tail_report(with_tail) + ['']
    times = data.get('step_time')
    if times:
        base = times['ms']['SimCLR']
        lines += [
            f'## Step time, {times["steps"]} interleaved steps (median), '
            f'{times["threads"]} thread(s), batch 64 x 2 views',
            '',
            '| arm | step time | ratio to SimCLR |',
            '|---|---|---|',
        ]
        for name, value in times['ms'].items():
            lines.append(f'| {name} | {value:.1f} ms | '
                         f'{value / base:.3f} |')
    return '\n'.join(lines).rstrip('\n') + '\n'


def load_results(out):
    """The earlier settings and step times of ``out.json`` (none if
    absent)."""
    if not osp.exists(out + '.json'):
        return dict(settings={})
    with open(out + '.json') as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--imbalance', type=float, default=10,
        help='head/tail ratio of the pre-training set (the demo configs\' '
        'is 10; at most 120, where the tail keeps one image)')
    add_subset_arg(parser, '--arms', list(ARMS))
    parser.add_argument(
        '--epochs', type=int, help='pre-training epochs (default: config)')
    parser.add_argument(
        '--probe-epochs', type=int, help='probe epochs (default: config)')
    parser.add_argument('--steps', type=int, default=60,
                        help='timed steps per arm; 0 keeps the earlier '
                        'timing of the JSON')
    parser.add_argument(
        '--threads', type=int, default=1,
        help='torch threads; 1 is fastest for these tiny models on a busy '
        'machine')
    parser.add_argument(
        '--out', default=RESULTS,
        help='report path without extension (.md and .json)')
    parser.add_argument(
        '--report-only', action='store_true',
        help='rewrite the report from the JSON, without running anything')
    args = parser.parse_args()
    if args.report_only:
        if not osp.exists(args.out + '.json'):
            raise UserInputError(f'--report-only: no {args.out}.json; run '
                                 f'the benchmark first.')
        data = load_results(args.out)
        write_report(args.out, report(data), data)
        return
    if args.epochs is not None and args.epochs < 6:
        parser.error('--epochs must be at least 6 (2 of linear LR warm-up, '
                     'then two cosine segments)')
    # the pre-training set's counts; a ratio that empties the tail is
    # refused here, in one line, before any training
    counts = DATASETS.build(
        dict(type='LTDigits',
             imbalance_ratio=args.imbalance)).metainfo['class_counts']
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('gh_ssl', log_level='WARNING')

    data = load_results(args.out)
    if args.steps > 0:
        data['step_time'] = dict(
            steps=args.steps,
            threads=torch.get_num_threads(),
            ms={
                name: value * 1e3
                for name, value in step_times(args.steps).items()
            })
    runs = {arm: [] for arm in args.arms}
    with tempfile.TemporaryDirectory() as root:
        for seed in args.seeds:
            for arm in args.arms:
                start = time.time()
                runs[arm].append(
                    pretrain_and_probe(arm, seed, args.epochs,
                                       args.probe_epochs, args.imbalance,
                                       root))
                print(f'{arm}, seed {seed}: {runs[arm][-1]} '
                      f'({time.time() - start:.0f} s)', flush=True)
    data['settings'][f'imbalance_{args.imbalance:g}'] = dict(
        imbalance=args.imbalance,
        class_counts=counts,
        simplex_angle=simplex_angle(10),
        seeds=args.seeds,
        epochs=args.epochs or load(ARMS['SimCLR']).train_cfg.max_epochs,
        probe_epochs=args.probe_epochs or load(PROBE).train_cfg.max_epochs,
        runs=runs)
    write_report(args.out, report(data), data)


if __name__ == '__main__':
    run_cli(main)
