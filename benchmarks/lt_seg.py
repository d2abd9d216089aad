"""Long-tailed segmentation on the built-in LTDigitScenes, and what the
long-tailed pixel sampler costs.

1. Accuracy: the demo config (FCN, small ResNet-18-D8, 3,000 iterations)
   trained with plain cross-entropy, the class-balanced cross-entropy, the
   long-tailed pixel sampler, SAR, and SAR on top of each of the two
   remedies, each over the same seeds (model initialisation and data order;
   the data set itself is fixed). Reports the final validation mIoU and
   the mIoU of the tail group (the rarest third of the classes in the train
   split, see ``configs/_base_/datasets/lt_digit_scenes_class_stats.json``),
   mean and sample standard deviation over seeds, as a markdown table and a
   bar chart, and each SAR arm minus the arm it adds SAR to, seed by seed.
   Runs already finished under ``--work-dir`` are reused.
2. Overhead: one training step of DeepLabV3-R50-D8 (ADE20K config, 150
   classes) with vs without the sampler, same weights and batch, timed
   interleaved in one process; plus the sampler alone at the full
   ADE20K crop (4 x 512 x 512 labels).

Usage::

    python benchmarks/lt_seg.py                        # all: ~2 h, 2 CPUs
    python benchmarks/lt_seg.py --iters 300 --seeds 0  # a quick check
    python benchmarks/lt_seg.py --skip-train           # overhead only

A skipped part keeps its section of the existing report (``--out``) and its
numbers in the JSON beside it.
"""
import argparse
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from mmengine.config import Config  # noqa: E402
from mmengine.model import revert_sync_batchnorm  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmseg.registry import MODELS, TASK_UTILS  # noqa: E402

from benchmarks.common import (add_subset_arg, fake_seg_batch,  # noqa: E402
                               mean_std, paired_rows, sync, write_report)
from sar_mm.utils import ClassStats  # noqa: E402

DEMO = osp.join(REPO, 'configs/demo/fcn_lt-digit-scenes.py')
DEMO_SAR = osp.join(REPO, 'configs/demo/fcn_lt-digit-scenes_sar.py')
STATS = osp.join(REPO,
                 'configs/_base_/datasets/lt_digit_scenes_class_stats.json')
OVERHEAD_CONFIG = osp.join(
    REPO, 'configs/lt/deeplabv3-ltsampler_r50-d8_4xb4-80k_ade20k-512x512.py')
SAMPLER = """
model = dict(
    decode_head=dict(
        sampler=dict(type='LongTailPixelSampler'),
        loss_decode=dict(avg_non_ignore=True)))
"""
BALANCED_CE = f"""
model = dict(
    decode_head=dict(
        loss_decode=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            stats_file='{STATS}')))
"""
# name: (base config, extra config text)
ARMS = {
    'CE (baseline)': (DEMO, ''),
    'class-balanced CE': (DEMO, BALANCED_CE),
    'LT sampler': (DEMO, SAMPLER),
    'SAR': (DEMO_SAR, ''),
    'SAR + class-balanced CE': (DEMO_SAR, BALANCED_CE),
    'SAR + LT sampler': (DEMO_SAR, SAMPLER),
}
#: The arm each SAR arm adds SAR to (same weights, data order and loss):
#: the baseline of its paired difference.
SAR_BASELINES = {
    'SAR': 'CE (baseline)',
    'SAR + class-balanced CE': 'class-balanced CE',
    'SAR + LT sampler': 'LT sampler',
}
GROUPS = ('head', 'medium', 'tail')
TITLE = '# Long-tailed segmentation benchmark'
OVERHEAD_HEADING = '## Sampler overhead'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=3000)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    add_subset_arg(parser, '--arms', ARMS)
    parser.add_argument('--work-dir', default='work_dirs/bench_lt_seg')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks/results/lt_seg.md'))
    parser.add_argument(
        '--figure', default=osp.join(REPO, 'docs/figures/lt_seg.png'))
    parser.add_argument('--skip-train', action='store_true')
    parser.add_argument('--skip-overhead', action='store_true')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--crop', type=int, default=128, help='overhead step crop')
    parser.add_argument(
        '--batch', type=int, default=2, help='overhead step batch')
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument(
        '--threads',
        type=int,
        help='torch CPU threads for the overhead steps (default: torch\'s); '
        '1 gives steadier timings on a shared machine')
    return parser.parse_args()


# --------------------------------------------------------------- accuracy


def final_metrics(work_dir):
    """The last validation metrics in a work dir, or None."""
    for root, _, files in sorted(os.walk(work_dir), reverse=True):
        if 'scalars.json' in files:
            with open(osp.join(root, 'scalars.json')) as f:
                val = [json.loads(ln) for ln in f if '"mIoU"' in ln]
            if val:
                return val[-1]
    return None


def run_dir(arm, seed, iters, work_root):
    """The work dir of one arm's run with one seed."""
    name = arm.lower().replace(' ', '_').replace('(', '').replace(')', '')
    return osp.abspath(osp.join(work_root, f'{name}_it{iters}_s{seed}'))


def finished_metrics(arm, seed, iters, work_root):
    """The final metrics of that run if it has finished, else None."""
    metrics = final_metrics(run_dir(arm, seed, iters, work_root))
    return metrics if metrics and metrics.get('step') == iters else None


def train_tool(config, work_dir, what):
    """``tools/train.py config`` into ``work_dir``, from the repository
    root; a failure ends the benchmark with the run's last error lines."""
    result = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools/train.py'), config, '--work-dir', work_dir
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f'{what} failed:\n{result.stderr[-3000:]}')


def run_config(base, extra, seed, iters):
    """The config text of one run: ``base`` plus ``extra``, trained for
    ``iters`` iterations (poly schedule, one validation at the end) with
    ``seed``."""
    return (f"_base_ = ['{base}']\n{extra}\n"
            f'max_iters = {iters}\n'
            f'param_scheduler = [dict(type="PolyLR", eta_min=1e-4, '
            f'power=0.9, begin=0, end={iters}, by_epoch=False)]\n'
            f'train_cfg = dict(max_iters={iters}, val_interval={iters})\n'
            f'default_hooks = dict(checkpoint=dict(interval={iters}, '
            f'max_keep_ckpts=1))\n'
            f'randomness = dict(seed={seed})\n')


def train(arm, seed, iters, work_root, arms=ARMS):
    """Train one arm (name: (base config, extra config text)) with one seed,
    or reuse a finished run."""
    metrics = finished_metrics(arm, seed, iters, work_root)
    if metrics is not None:
        return metrics
    work_dir = run_dir(arm, seed, iters, work_root)
    os.makedirs(work_dir, exist_ok=True)
    config = osp.join(work_dir, 'config.py')
    with open(config, 'w') as f:
        f.write(run_config(*arms[arm], seed, iters))
    start = time.time()
    train_tool(config, work_dir, f'{arm}, seed {seed}')
    metrics = final_metrics(work_dir)
    print(
        f'{arm:23s} seed {seed}: mIoU {metrics["mIoU"]:.2f}, tail '
        f'{metrics.get("mIoU.tail", float("nan")):.2f} '
        f'({time.time() - start:.0f} s)',
        flush=True)
    return metrics


def group_names(stats_file=STATS):
    """The classes of each group of a class-statistics file, as text."""
    stats = ClassStats.load(stats_file)
    return '; '.join(f'{g}: ' + ', '.join(stats.classes[c]
                                          for c in stats.groups[g])
                     for g in GROUPS)


def summarise(results):
    """Rows of (arm, {metric: (mean, std)})."""
    rows = []
    for arm, runs in results.items():
        keys = ['mIoU'] + [f'mIoU.{g}' for g in GROUPS]
        rows.append((arm, {
            key: mean_std([run.get(key) for run in runs])
            for key in keys
        }))
    return rows


def markdown_table(rows):
    lines = [
        '| method | mIoU | head mIoU | medium mIoU | tail mIoU |',
        '|---|---|---|---|---|',
    ]
    for arm, stats in rows:
        cells = [
            f'{stats[k][0]:.2f} ± {stats[k][1]:.2f}'
            for k in ('mIoU', 'mIoU.head', 'mIoU.medium', 'mIoU.tail')
        ]
        lines.append(f'| {arm} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def bar_chart(rows, seeds, iters, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    names = [arm for arm, _ in rows]
    for ax, key, title in zip(axes, ('mIoU', 'mIoU.tail'),
                              ('overall mIoU', 'tail-group mIoU')):
        means = [stats[key][0] for _, stats in rows]
        stds = [stats[key][1] for _, stats in rows]
        ax.bar(
            range(len(rows)),
            means,
            yerr=stds,
            capsize=4,
            color=[
                'tab:gray', 'tab:blue', 'tab:orange', 'tab:green',
                'tab:purple', 'tab:red'
            ][:len(rows)])
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(names, rotation=20, ha='right', fontsize=8)
        ax.set_title(title)
        ax.set_ylabel('%')
    fig.suptitle(
        f'LTDigitScenes, FCN-R18-D8, {iters} iterations, mean ± '
        f'std over seeds {", ".join(map(str, seeds))}',
        fontsize=10)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------- overhead


class TimedSampler:
    """Wraps a sampler to time its ``sample`` calls inside the step."""

    def __init__(self, sampler, device):
        self.sampler, self.device, self.seconds = sampler, device, []

    def sample(self, seg_logit, seg_label):
        sync(self.device)
        start = time.perf_counter()
        weight = self.sampler.sample(seg_logit, seg_label)
        sync(self.device)
        self.seconds.append(time.perf_counter() - start)
        return weight


def overhead(device, crop, batch, repeats):
    """Step time without / with the sampler, interleaved on the same model
    and batch; and the time spent inside the sampler during those steps,
    which the step-time ratio cannot resolve on a busy machine."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(OVERHEAD_CONFIG).model
    cfg.pretrained = None
    cfg.data_preprocessor.size = (crop, crop)
    model = revert_sync_batchnorm(MODELS.build(cfg)).to(device).train()
    head = model.decode_head
    samplers = dict(
        without=None,
        sampler=TimedSampler(head.sampler, device),
        mining=TimedSampler(
            TASK_UTILS.build(
                dict(type='LongTailPixelSampler', hard_fraction=0.5),
                default_args=dict(context=head)), device))
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    data = fake_seg_batch(
        head.num_classes, crop, batch, ignore_rows=crop // 8, device=device)
    times = {name: [] for name in samplers}
    for rep in range(repeats + 2):
        names = list(samplers) if rep % 2 == 0 else list(samplers)[::-1]
        for name in names:
            head.sampler = samplers[name]
            sync(device)
            start = time.perf_counter()
            model.train_step(data, optim)
            sync(device)
            if rep >= 2:  # warm-up
                times[name].append(time.perf_counter() - start)
    step = {name: statistics.median(t) for name, t in times.items()}
    inside = {
        name: statistics.median(samplers[name].seconds[2:])
        for name in ('sampler', 'mining')
    }

    # the sampler alone at the real ADE20K batch: 4 x 512 x 512 labels
    labels = torch.randint(
        0, head.num_classes, (4, 1, 512, 512), device=device)
    labels[:, :, :64] = 255
    logits = torch.empty(
        4, head.num_classes, 1, 1, device=device).expand(
            -1, -1, 512, 512)  # only the shape is read without hard mining
    alone = TimedSampler(samplers['sampler'].sampler, device)
    for _ in range(repeats):
        alone.sample(logits, labels)
    return dict(
        device=device,
        threads=torch.get_num_threads(),
        crop=crop,
        batch=batch,
        repeats=repeats,
        step=step,
        inside=inside,
        full_crop_ms=1000 * statistics.median(alone.seconds))


def overhead_markdown(o):
    step, inside = o['step'], o['inside']
    rows = [
        f'| {label} | {step[name]:.3f} | {step[name] / step["without"]:.3f} '
        f'| {inside[name] * 1000:.1f} | '
        f'{100 * inside[name] / step["without"]:.2f} % |'
        for name, label in (('sampler', 'LongTailPixelSampler'),
                            ('mining',
                             'LongTailPixelSampler(hard_fraction=0.5)'))
    ]
    return '\n'.join([
        f'DeepLabV3-R50-D8, 150 classes, {o["device"]} '
        f'({o["threads"]} thread(s)), batch {o["batch"]} at '
        f'{o["crop"]}x{o["crop"]}, {o["repeats"]} interleaved training '
        f'steps per variant (forward, backward, SGD step) on the same model '
        f'and batch; medians. "In sampler" is the time measured inside '
        f'`sample()` during those steps, and its share of the step without '
        f'a sampler.',
        '',
        '| decode_head.sampler | step (s) | step ratio to none | in sampler '
        '(ms) | sampler share of the step |',
        '|---|---|---|---|---|',
        f'| none | {step["without"]:.3f} | 1.000 | - | - |',
        *rows,
        '',
        f'The sampler alone on a full ADE20K batch (4 x 512 x 512 labels, '
        f'running estimate): {o["full_crop_ms"]:.1f} ms.',
    ])


def kept_arms(accuracy, iters, seeds):
    """The arms of an existing report's accuracy part, when it measured the
    same iterations and seeds: {arm: (its table row as {metric: (mean,
    std)}, its per-seed {'mIoU', 'mIoU.tail'} values as printed)}."""
    if f'{iters} iterations, seeds {", ".join(map(str, seeds))};' \
            not in accuracy:
        return {}
    stats, per_seed = {}, {}
    keys = ['mIoU'] + [f'mIoU.{g}' for g in GROUPS]
    for line in accuracy.splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        # a row of the method table (the paired rows have 4 cells)
        if line.startswith('| ') and cells[0] in ARMS and len(cells) == 5:
            stats[cells[0]] = {
                key: tuple(map(float, cell.split(' ± ')))
                for key, cell in zip(keys, cells[1:])
            }
        arm, _, values = line[2:].partition(': ')
        if line.startswith('- ') and arm in ARMS:
            # without a parenthesised remark after the values
            pairs = re.findall(r'(\S+) / (\S+?)(?:,|$)',
                               values.split(' (')[0])
            per_seed[arm] = [
                {'mIoU': float(m), 'mIoU.tail': float(t)} for m, t in pairs
            ]
    return {
        arm: (stats[arm], per_seed[arm])
        for arm in stats
        if len(per_seed.get(arm, ())) == len(seeds)
    }


def accuracy_section(args, previous):
    """Train (or reuse) the runs of ``args.arms``; the accuracy part of the
    report, with the other arms of the ``previous`` one kept, and the new
    numbers: {arm: [final metrics, one per seed]}."""
    results = {
        arm: [
            train(arm, seed, args.iters, args.work_dir)
            for seed in args.seeds
        ]
        for arm in args.arms
    }
    kept = {
        arm: numbers
        for arm, numbers in kept_arms(previous, args.iters,
                                      args.seeds).items()
        if arm not in results
    }
    stats = dict(summarise(results))
    stats.update({arm: row for arm, (row, _) in kept.items()})
    rows = [(arm, stats[arm]) for arm in ARMS if arm in stats]
    per_seed = {arm: values for arm, (_, values) in kept.items()}
    per_seed.update(results)
    sections = [
        f'LTDigitScenes (built in), `configs/demo/fcn_lt-digit-scenes'
        f'.py`, {args.iters} iterations, seeds '
        f'{", ".join(map(str, args.seeds))}; final validation mIoU '
        f'(%), mean ± sample std over seeds. Groups: the train split\'s '
        f'class thirds by pixel frequency ({group_names()}).', ''
    ]
    if kept:
        sections += [
            f'Measured by this run: {", ".join(results)}; the other rows '
            f'are kept from the previous report.', ''
        ]
    sections += [markdown_table(rows), '']
    paired = paired_rows(per_seed, SAR_BASELINES)
    if paired:
        sections += [
            'Each SAR arm minus the arm it adds SAR to, seed by seed (the '
            'same seed gives both the same initial weights and data order); '
            'mean ± sample std of the differences' +
            (' (a kept row enters with its per-seed values as printed below)'
             if kept else '') + '.', '',
            '| arm | minus | mIoU | tail mIoU |', '|---|---|---|---|',
            *paired, ''
        ]
    sections += ['Per seed (mIoU / tail mIoU):', '']
    for arm, _ in rows:
        sections.append(f'- {arm}: ' + ', '.join(
            f'{run["mIoU"]:.2f} / {run.get("mIoU.tail", float("nan")):.2f}'
            for run in per_seed[arm]))
    bar_chart(rows, args.seeds, args.iters, args.figure)
    print(f'figure written to {args.figure}')
    return '\n'.join(sections), results


def previous_report(out):
    """The accuracy and the overhead part of the report at ``out`` (empty
    strings when there is none) and the numbers of the JSON beside it, for
    the part a run skips."""
    text, data = '', {}
    if osp.exists(out):
        with open(out) as f:
            text = f.read()
    if osp.exists(osp.splitext(out)[0] + '.json'):
        with open(osp.splitext(out)[0] + '.json') as f:
            data = json.load(f)
    accuracy, heading, overhead_part = text.partition(OVERHEAD_HEADING)
    accuracy = accuracy.replace(TITLE, '', 1).strip()
    return dict(
        accuracy=accuracy, overhead=(heading + overhead_part).strip()), data


def main():
    args = parse_args()
    kept, data = previous_report(args.out)
    parts = dict(kept)
    if not args.skip_train:
        parts['accuracy'], runs = accuracy_section(args, kept['accuracy'])
        same = (data.get('iters'), data.get('seeds')) == (args.iters,
                                                          args.seeds)
        data.update(
            runs=dict(data['runs'] if same else {}, **runs),
            iters=args.iters,
            seeds=args.seeds)
    if not args.skip_overhead:
        if args.threads:
            torch.set_num_threads(args.threads)
        data['overhead'] = overhead(args.device, args.crop, args.batch,
                                    args.repeats)
        parts['overhead'] = '\n\n'.join(
            [OVERHEAD_HEADING, overhead_markdown(data['overhead'])])
    report = '\n\n'.join(
        [TITLE] + [part for part in parts.values() if part]) + '\n'
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    write_report(osp.splitext(args.out)[0], report, data)


if __name__ == '__main__':
    main()
