"""When does SAR help? A map of SAR's effect on the built-in LTDigitScenes
across label budgets and schedules.

Every cell trains the supervised FCN demo (FCN-R18-D8 from scratch, 64 x 64
crops, batch 8, the configs under ``configs/semi/`` and
``configs/demo/fcn_lt-digit-scenes.py``) on a fraction of the train scenes,
with and without SAR (``SAREncoderDecoder``, the default ``sar=dict()``),
for a number of iterations on a poly schedule, seeds 0, 1, 2. The two arms
of a seed start from the same weights and see the same labelled scenes:
SAR's anchors come from their own generator, so the only difference is the
SAR term. Fractions:

- ``1_8``, ``1_4``, ``1_2``: the labelled lists of
  ``data/lt_digit_scenes/splits`` (the splits of the semi-supervised
  benchmark), labelled scenes only;
- ``all``: every train scene (``configs/demo/fcn_lt-digit-scenes.py``).

Schedules: 1,000 and 3,000 iterations. Reports per cell the final
validation mIoU and tail mIoU (the train split's rarest third of the
classes) of each arm, mean ± sample std over seeds, and SAR minus
supervised seed by seed (mean ± sample std of the paired differences).
Writes ``benchmarks/results/sar_map.{md,json}`` (JSON:
``{fraction: {"1000": {arm: {"miou": [...], "head": [...], "medium":
[...], "tail": [...]}}, "3000": ...}}``) and the plot
``docs/figures/sar_map.png``. Finished runs under ``--work-dir`` are
reused; ``--jobs 2`` trains two runs at a time.

``--explain FRACTION ITERS`` measures, on the finished runs of one cell,
what SAR changes besides the score: mIoU on the labelled train scenes the
run trained on (how well it fits them) against the val scenes (how well
that carries over), and the feature geometry (NC1, compactness, anchor
cosine; ``sar_mm/analysis/geometry.py``) on both.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/sar_map.py --jobs 2
    python benchmarks/sar_map.py --fractions 1_8 --iters 1000 --seeds 0
    python benchmarks/sar_map.py --report-only
    python benchmarks/sar_map.py --explain 1_8 3000
"""
import argparse
import json
import os
import os.path as osp
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from benchmarks.common import (add_run_args, add_subset_arg,  # noqa: E402
                               mean_std)
from benchmarks.lt_seg import (DEMO, GROUPS, STATS,  # noqa: E402
                               finished_metrics, group_names, run_dir, train)
from benchmarks.semi_seg import (KEYS, arm_config,  # noqa: E402
                                 measure_loader, scenes, split_dir)

FRACTIONS = ['1_8', '1_4', '1_2', 'all']
SCHEDULES = [1000, 3000]
ARMS = ['supervised', 'supervised+sar']
SAR = "model = {'type': 'SAREncoderDecoder', 'sar': {}}"
PLOT = osp.join(REPO, 'docs/figures/sar_map.png')
#: What ``--explain`` measures on each run, on the labelled train scenes
#: and on the val scenes: (key, label).
EXPLAINED = [('miou', 'mIoU'), ('nc1', 'NC1'), ('tail_nc1', 'tail NC1'),
             ('compactness', 'compactness')]


def cell_config(fraction, arm):
    """(base config, extra text) of one arm at one label fraction; at 1/8
    and 1/4 the configs of the semi-supervised benchmark's supervised
    arms."""
    if fraction == 'all':
        base, extra = DEMO, ''
    else:
        # the 1/8 config with another labelled list: the configs of the
        # semi-supervised benchmark differ in nothing else
        base = arm_config('1_8', 'supervised')[0]
        split_dir = f'data/lt_digit_scenes/splits/{fraction}'
        extra = ('' if fraction == '1_8' else
                 f"split_dir = '{split_dir}'\n"
                 "train_dataloader = dict(dataset=dict(split_file="
                 f"'{split_dir}/labeled.txt'))")
    if arm == 'supervised+sar':
        extra = f'{extra}\n{SAR}'.lstrip()
    return base, extra


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_subset_arg(parser, '--fractions', FRACTIONS)
    parser.add_argument('--iters', type=int, nargs='+', default=SCHEDULES)
    add_run_args(parser, 'cells')
    parser.add_argument(
        '--explain', nargs=2, metavar=('FRACTION', 'ITERS'),
        help='measure fit and feature geometry of one finished cell')
    parser.add_argument('--work-dir', default='work_dirs/bench_sar_map')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks/results/sar_map.md'))
    parser.add_argument('--plot', default=PLOT)
    return parser.parse_args()


def train_all(args):
    """{(fraction, iters, seed, arm): final metrics or None}; the short
    schedule first, seed by seed, so that every cell has a first pair
    early."""
    jobs = [(fraction, iters, seed, arm) for iters in sorted(args.iters)
            for seed in args.seeds for fraction in args.fractions
            for arm in ARMS]
    if args.report_only:
        return {
            job: finished_metrics(f'{job[0]}/{job[3]}', job[2], job[1],
                                  args.work_dir)
            for job in jobs
        }
    configs = {
        f'{fraction}/{arm}': cell_config(fraction, arm)
        for fraction in args.fractions for arm in ARMS
    }
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            job: pool.submit(train, f'{job[0]}/{job[3]}', job[2], job[1],
                             args.work_dir, configs)
            for job in jobs
        }
        return {job: future.result() for job, future in futures.items()}


def collect(runs, args):
    """{fraction: {iters: {arm: {key: [value per seed]}}}} for the cells
    whose runs have all finished."""
    data = {}
    for fraction in args.fractions:
        for iters in sorted(args.iters):
            cell = [[runs[fraction, iters, seed, arm] for seed in args.seeds]
                    for arm in ARMS]
            if not all(all(arm) for arm in cell):
                continue
            data.setdefault(fraction, {})[str(iters)] = {
                arm: {key: [run[metric] for run in arm_runs]
                      for key, metric in KEYS.items()}
                for arm, arm_runs in zip(ARMS, cell)
            }
    return data


def paired(cell, key):
    """SAR minus supervised seed by seed: (mean, sample std)."""
    return mean_std([
        s - b for s, b in zip(cell['supervised+sar'][key],
                              cell['supervised'][key])
    ])


def fmt(mean_and_std, sign=''):
    return ('{:' + sign + '.2f} ± {:.2f}').format(*mean_and_std)


def label(fraction):
    return 'all' if fraction == 'all' else fraction.replace('_', '/')


def markdown(data, args):
    lines = [
        '# When does SAR help? SAR across label budgets and schedules', '',
        f'Reported on {time.strftime("%Y-%m-%d")} with torch '
        f'{torch.__version__} on a {os.cpu_count()}-core '
        f'{platform.machine()} CPU, no GPU; runs by '
        f'`OMP_NUM_THREADS=1 python benchmarks/sar_map.py --jobs 2`, one '
        f'process per run, two at a time. The plot is '
        f'`docs/figures/sar_map.png`.', '',
        'LTDigitScenes (built in), the supervised FCN demo (FCN-R18-D8 from '
        'scratch, 64 x 64, batch 8) on the labelled scenes of '
        '`data/lt_digit_scenes/splits/{1_8,1_4,1_2}` or on all 400 train '
        'scenes, with and without SAR (`SAREncoderDecoder`, default '
        'settings), poly schedule, seeds '
        f'{", ".join(map(str, args.seeds))}; final validation mIoU (%), '
        'mean ± sample std over seeds. SAR - supervised: the paired '
        'difference, seed by seed (the same seed gives both arms the same '
        'initial weights and the same labelled scenes), mean ± sample std. '
        f"Groups: the train split's class thirds by pixel frequency "
        f'({group_names()}).', '',
        '| labelled | iterations | supervised | + SAR | SAR - supervised '
        '| tail: supervised | tail: + SAR | tail: SAR - supervised |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for fraction, schedules in data.items():
        for iters, cell in schedules.items():
            lines.append(
                f'| {label(fraction)} | {iters} | ' + ' | '.join([
                    fmt(mean_std(cell['supervised']['miou'])),
                    fmt(mean_std(cell['supervised+sar']['miou'])),
                    fmt(paired(cell, 'miou'), '+'),
                    fmt(mean_std(cell['supervised']['tail'])),
                    fmt(mean_std(cell['supervised+sar']['tail'])),
                    fmt(paired(cell, 'tail'), '+'),
                ]) + ' |')
    lines += ['', 'Per seed (mIoU / ' +
              ' / '.join(f'{g} mIoU' for g in GROUPS) + '):', '']
    for fraction, schedules in data.items():
        for iters, cell in schedules.items():
            for arm in ARMS:
                values = zip(*(cell[arm][k] for k in KEYS))
                lines.append(f'- {label(fraction)}, {iters} it, {arm}: ' +
                             ', '.join(' / '.join(f'{v:.2f}' for v in seed)
                                       for seed in values))
    return '\n'.join(lines) + '\n'


def plot(data, path, explained=None):
    """Paired gain (mIoU and tail mIoU) against the label fraction, one
    line per schedule, with the spread over seeds as error bars; with the
    ``--explain`` measures, a third panel: each cell's gain against how
    well the supervised arm fits its own labelled scenes."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    explained = explained or {}
    panels = 3 if explained else 2
    fig, axes = plt.subplots(1, panels, figsize=(4.5 * panels, 3.6))
    fractions = [f for f in FRACTIONS if f in data]
    for ax, key, title in zip(axes[:2], ('miou', 'tail'),
                              ('mIoU', 'tail-group mIoU')):
        for offset, iters in zip((-0.06, 0.06), sorted(
                {i for s in data.values() for i in s}, key=int)):
            xs = [i + offset for i, f in enumerate(fractions)
                  if iters in data[f]]
            gains = [paired(data[f][iters], key) for f in fractions
                     if iters in data[f]]
            ax.errorbar(xs, [g[0] for g in gains], yerr=[g[1] for g in gains],
                        marker='o', capsize=4, label=f'{iters} iterations')
        ax.axhline(0, color='gray', lw=0.8)
        ax.set_xticks(range(len(fractions)))
        ax.set_xticklabels([label(f) for f in fractions])
        ax.set_xlabel('labelled train scenes')
        ax.set_ylabel('SAR - supervised (points)')
        ax.set_title(f'paired gain in {title}')
        ax.legend(fontsize=8)
    if explained:
        fit_panel(axes[2], data, explained)
    fig.suptitle('SAR on LTDigitScenes, FCN-R18-D8, mean ± std of the paired '
                 'difference over 3 seeds', fontsize=10)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ------------------------------------------------------------- explain


def scene_loader(fraction, split):
    """Test-time batches of the val scenes (``split='val'``) or of the
    train scenes a fraction's runs were trained on (``'train'``)."""
    train = scenes(fraction)  # the built-in scenes' train split
    if split == 'val':
        dataset = dict(train, data_prefix=dict(img_path='img_dir/val',
                                               seg_map_path='ann_dir/val'))
    elif fraction == 'all':
        dataset = train
    else:
        dataset = dict(
            type='SemiSplitDataset',
            dataset=train,
            split_file=osp.join(split_dir(fraction), 'labeled.txt'))
    return measure_loader(dataset)


def loader_miou(model, loader, num_classes):
    """mIoU (%) of the model's predictions over a loader, as mmseg's
    IoUMetric (classes with an empty union left out)."""
    from mmseg.evaluation import IoUMetric
    inter = union = 0
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                i, u, _, _ = IoUMetric.intersect_and_union(
                    sample.pred_sem_seg.data[0], sample.gt_sem_seg.data[0],
                    num_classes, 255)
                inter, union = inter + i, union + u
    present = union > 0
    return 100 * (inter[present] / union[present]).mean().item()


def run_measures(fraction, iters, seed, arm, work_root):
    """The fit and the feature geometry of one finished run, on its
    labelled train scenes and on the val scenes."""
    from sar_mm.analysis import extract_features, feature_geometry
    from sar_mm.analysis.cli import load_analysed_model
    from sar_mm.utils.class_stats import ClassStats
    work_dir = run_dir(f'{fraction}/{arm}', seed, iters, work_root)
    analysed = load_analysed_model(
        osp.join(work_dir, 'config.py'),
        osp.join(work_dir, f'iter_{iters}.pth'))
    classifier, _ = analysed.class_vectors('classifier')
    anchors = analysed.anchors()
    tail = ClassStats.load(STATS).groups['tail']
    measures = {}
    for split in ('train', 'val'):
        loader = scene_loader(fraction, split)
        features = extract_features(analysed.model, loader, progress=False)
        geometry = feature_geometry(
            features.features, features.labels, features.num_classes,
            classifier, None if anchors is None else anchors[0])
        measures[split] = dict(
            miou=loader_miou(analysed.model, loader, analysed.num_classes),
            nc1=geometry.overall['nc1'],
            tail_nc1=geometry.group_means({'tail': tail})['tail']['nc1'],
            compactness=geometry.overall['compactness'])
    return measures


def explain(fraction, iters, args):
    """Measure every seed of both arms of one finished cell; stored beside
    the map (``sar_map_explain.json``) and reported with it."""
    cell = {
        arm: [run_measures(fraction, iters, seed, arm, args.work_dir)
              for seed in args.seeds]
        for arm in ARMS
    }
    path = osp.splitext(args.out)[0] + '_explain.json'
    stored = {}
    if osp.exists(path):
        with open(path) as f:
            stored = json.load(f)
    stored[f'{fraction}/{iters}'] = {
        arm: {split: {key: [run[split][key] for run in runs]
                      for key, _ in EXPLAINED}
              for split in ('train', 'val')}
        for arm, runs in cell.items()
    }
    with open(path, 'w') as f:
        json.dump(stored, f, indent=1)
    print('\n'.join(explain_section(stored)))


def explain_section(stored):
    """Markdown: per explained cell, each measure on the labelled train
    scenes and on the val scenes, per arm and SAR minus supervised."""
    if not stored:
        return []
    lines = [
        '## What SAR changes besides the score', '',
        '`python benchmarks/sar_map.py --explain FRACTION ITERS`: each '
        "finished run's final model on the train scenes it was trained on "
        '(its labelled fraction) and on the val scenes: mIoU, and the '
        'geometry of its decoder features (`sar_mm/analysis/geometry.py`: '
        'NC1, the within-class spread in units of the spread of the class '
        'means, 0 when every class has collapsed to its mean; compactness, '
        "the mean cosine of a feature to its class mean; up to 1,000 pixels "
        'per class). Mean ± sample std over seeds; SAR - supervised seed '
        'by seed.', '',
        '| cell | measure | scenes | supervised | + SAR | SAR - supervised |',
        '|---|---|---|---|---|---|'
    ]
    def order(name):
        fraction, iters = name.split('/')
        return FRACTIONS.index(fraction), int(iters)

    for name in sorted(stored, key=order):
        cell = stored[name]
        fraction, iters = name.split('/')
        for key, measure in EXPLAINED:
            for split in ('train', 'val'):
                base = cell['supervised'][split][key]
                sar = cell['supervised+sar'][split][key]
                scenes = ('labelled train' if split == 'train' else 'val')
                lines.append(
                    f'| {label(fraction)}, {iters} it | {measure} | {scenes} '
                    f'| {fmt(mean_std(base))} | {fmt(mean_std(sar))} | ' +
                    fmt(mean_std([s - b for s, b in zip(sar, base)]), '+') +
                    ' |')
    return lines + ['']


def fit_panel(ax, data, explained):
    """Paired mIoU gain of each explained cell against the supervised
    arm's mIoU on its own labelled train scenes (mean over seeds)."""
    for iters, marker in zip(('1000', '3000'), ('o', 's')):
        cells = [(name.split('/')[0], cell)
                 for name, cell in explained.items()
                 if name.endswith(f'/{iters}')
                 and iters in data.get(name.split('/')[0], {})]
        fits = [mean_std(cell['supervised']['train']['miou'])[0]
                for _, cell in cells]
        gains = [paired(data[fraction][iters], 'miou')
                 for fraction, _ in cells]
        ax.errorbar(fits, [g[0] for g in gains], yerr=[g[1] for g in gains],
                    fmt=marker, capsize=4, label=f'{iters} iterations')
        for fit, gain, (fraction, _) in zip(fits, gains, cells):
            ax.annotate(label(fraction), (fit, gain[0]), fontsize=7,
                        xytext=(4, 4), textcoords='offset points')
    ax.axhline(0, color='gray', lw=0.8)
    ax.set_xlabel('supervised mIoU on its labelled train scenes')
    ax.set_ylabel('SAR - supervised (points)')
    ax.set_title('gain against how well supervised fits')
    ax.legend(fontsize=8)


def main():
    args = parse_args()
    if args.explain:
        explain(args.explain[0], int(args.explain[1]), args)
        return
    data = collect(train_all(args), args)
    if not data:
        sys.exit('no cell has finished all its runs yet')
    report = markdown(data, args)
    explained = {}
    path = osp.splitext(args.out)[0] + '_explain.json'
    if osp.exists(path):
        with open(path) as f:
            explained = json.load(f)
        report += '\n' + '\n'.join(explain_section(explained))
    print(report)
    base = osp.splitext(args.out)[0]
    with open(base + '.md', 'w') as f:
        f.write(report)
    with open(base + '.json', 'w') as f:
        json.dump(data, f, indent=1)
    plot(data, args.plot, explained)
    print(f'results written to {base}.{{md,json}} and {args.plot}')


if __name__ == '__main__':
    main()
