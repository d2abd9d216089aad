"""Semi-supervised classification on the built-in digits: does FixMatch
beat supervised-only training on the same labelled digits, with and
without SAR and a long-tail-aware pseudo-labelling strategy; and what SAR
adds to a FixMatch step.

1. Accuracy. Every arm trains ResNet-32 from scratch with the demo recipe
   (``configs/demo/{supervised,fixmatch,fixmatch-sar}_lt-digits-semi
   {,-lt}.py``: 16x16 digits, B labelled + 7B unlabelled images per step,
   FixMatch's SGD and cosine schedule, threshold 0.95, lambda_u = 1), once
   per seed, in two settings:

   - balanced: 5 labelled digits per class, the other 119 unlabelled;
   - long-tailed (the default): labelled 20 to 2 and unlabelled 100 to 10
     digits per class (head/tail ratio 10 for both, the DARP/ABC
     protocol).

   Arms: ``supervised`` (the same model and steps on the labelled images
   alone, batch B), ``supervised+sar`` (with ``SARLinearClsHead``),
   ``control`` (FixMatch with the unlabelled loss at 0), ``fixmatch``,
   ``fixmatch+sar``, ``fixmatch+lt`` and ``fixmatch+lt+sar`` (the
   long-tail-aware strategy :data:`LT_STRATEGY`). The data split is the
   same for every run (split seed 0); the run seed changes initialisation,
   augmentation and batch order. Reported on the balanced test split (50
   digits per class): top-1 and the mean per-class accuracy of the many-
   (> 10 labelled digits: 0, 1, 2), medium- and few-shot (< 5: 6 to 9)
   classes (long-tailed setting only), for the EMA of the weights
   (FixMatch's evaluation; decay 0.99 over these short runs) and for the
   raw weights, mean +- standard deviation over the seeds; plus the last
   50 steps' mask ratio and pseudo-label accuracy. Each finished run is
   kept under ``--work-dir`` and reused, so several processes (e.g. one
   per seed) can share the work and a last call writes the report.
2. Cost of SAR: FixMatch + SAR and FixMatch steps on the same batches from
   the same weights, timed interleaved in one run; the per-step ratio is
   reported (mean +- std, and the ratio of the medians).

Usage::

    python benchmarks/semi_cls.py                          # 3 seeds
    python benchmarks/semi_cls.py --seeds 0 --iters 20     # quick check

Writes ``benchmarks/results/semi_cls.md`` (the tables) and
``semi_cls.json`` (every run).
"""
import argparse
import json
import logging
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

# One thread per process on the shared 2-core reference machine (OpenMP
# threads waiting for busy cores make every step several times slower).
os.environ.setdefault('OMP_NUM_THREADS', '1')
import cv2  # noqa: E402
import torch  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401
from benchmarks.common import (LT_STRATEGY, SEMI_BASELINES,  # noqa: E402
                               add_subset_arg, mean_std, write_report)
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

DEMOS = osp.join(REPO, 'configs', 'demo')
# arm: (demo config prefix, model settings merged into the config)
METHODS = {
    'supervised': ('supervised', {}),
    'supervised+sar': ('supervised',
                       dict(head=dict(type='SARLinearClsHead', sar=dict()))),
    'control': ('fixmatch', dict(unsup_weight=0.0)),
    'fixmatch': ('fixmatch', {}),
    'fixmatch+sar': ('fixmatch-sar', {}),
    'fixmatch+lt': ('fixmatch', dict(pseudo_label=LT_STRATEGY)),
    'fixmatch+lt+sar': ('fixmatch-sar', dict(pseudo_label=LT_STRATEGY)),
}
SETTINGS = {'balanced': 'lt-digits-semi', 'long-tailed': 'lt-digits-semi-lt'}
GROUPS = ['top1', 'many', 'medium', 'few']
TRAIN_LOGS = ['mask_ratio', 'pseudo_label_acc', 'sar_gate_open']


def config_path(method, setting):
    return osp.join(DEMOS, f'{METHODS[method][0]}_{SETTINGS[setting]}.py')


def build_cfg(method, setting, seed, iters, work_dir):
    cfg = Config.fromfile(config_path(method, setting))
    cfg.merge_from_dict(dict(model=METHODS[method][1]))
    cfg.randomness = dict(seed=seed)
    if iters is not None:
        cfg.train_cfg.max_iters = iters
        cfg.param_scheduler[0].end = iters
    cfg.train_cfg.val_interval = cfg.train_cfg.max_iters  # at the end
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 10**6
    cfg.visualizer.vis_backends = []
    cfg.work_dir = work_dir
    cfg.experiment_name = f'semi_cls_{method}_{setting}_s{seed}_' \
        f'{time.time()}'
    cfg.log_level = 'WARNING'
    return cfg


def train_and_evaluate(method, setting, seed, iters):
    """{'ema': {group: acc}, 'raw': {group: acc}, 'train': {key: value}}
    of one run, and its training time."""
    with tempfile.TemporaryDirectory() as work_dir:
        runner = Runner.from_cfg(
            build_cfg(method, setting, seed, iters, work_dir))
        start = time.time()
        runner.train()  # validates at the end: EMA, then raw weights
        seconds = time.time() - start
        hub = runner.message_hub
        ema, raw = ({
            g: float(hub.get_scalar(f'val/accuracy/{g}{suffix}').current())
            for g in GROUPS
            if f'val/accuracy/{g}{suffix}' in hub.log_scalars
        } for suffix in ('', '_origin'))
        train = {
            k: float(hub.get_scalar(f'train/{k}').mean(50))
            for k in TRAIN_LOGS if f'train/{k}' in hub.log_scalars
        }
    return dict(ema=ema, raw=raw, train=train), seconds


def cached_run(method, setting, seed, iters, work_root, train=True):
    """:func:`train_and_evaluate`, or the result a finished run left under
    ``work_root``; ``(None, None)`` for a missing run with ``train=False``.
    """
    path = osp.join(work_root, setting,
                    f'{method}_it{iters or "demo"}_s{seed}.json')
    if osp.exists(path):
        with open(path) as f:
            saved = json.load(f)
        return saved['result'], saved['seconds']
    if not train:
        return None, None
    result, seconds = train_and_evaluate(method, setting, seed, iters)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(result=result, seconds=seconds), f)
    return result, seconds


def cell(values, fmt='{:.1f} ± {:.1f}'):
    return fmt.format(*mean_std(values)) if values else '–'


def paired_table(runs, setting, seeds, methods):
    """Each arm minus its baseline, seed by seed, raw weights."""
    groups = ['top1', 'few'] if setting == 'long-tailed' else ['top1']
    lines = [
        f'**{setting}**, each semi-supervised arm minus the arm it '
        f'contains, seed by seed (the same seed: the same initial weights), '
        f'raw weights, accuracy points (mean ± std of the differences)', '',
        '| arm | minus | ' + ' | '.join(groups) + ' |',
        '|---|---|' + '---|' * len(groups)
    ]
    for arm, base in SEMI_BASELINES.items():
        if arm in methods and base in methods:
            cells = [
                cell([runs[(setting, arm, s)]['raw'][g] -
                      runs[(setting, base, s)]['raw'][g] for s in seeds],
                     '{:+.1f} ± {:.1f}') for g in groups
            ]
            lines.append(f'| {arm} | {base} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def accuracy_table(runs, setting, seeds, methods):
    groups = GROUPS if setting == 'long-tailed' else ['top1']
    header = ['overall', 'many', 'medium', 'few'][:len(groups)]
    lines = [
        f'**{setting}** ({len(seeds)} seeds: {", ".join(map(str, seeds))}), '
        f'accuracy % (mean ± std); EMA = the averaged weights FixMatch '
        f'evaluates, raw = the weights trained', '',
        '| method | weights | ' + ' | '.join(header) + ' |',
        '|---|---|' + '---|' * len(groups)
    ]
    for method in methods:
        for weights in ('ema', 'raw'):
            cells = [
                cell([runs[(setting, method, s)][weights][g] for s in seeds
                      if g in runs[(setting, method, s)][weights]])
                for g in groups
            ]
            lines.append(f'| {method} | {weights} | ' + ' | '.join(cells) +
                         ' |')
    lines += [
        '', '| method | mask ratio (last 50 steps) | pseudo-label accuracy '
        '(confident, last 50 steps) |', '|---|---|---|'
    ]
    for method in [m for m in methods if not m.startswith('supervised')]:
        stats = [[runs[(setting, method, s)]['train'][k] for s in seeds]
                 for k in ('mask_ratio', 'pseudo_label_acc')]
        lines.append(f'| {method} | ' + ' | '.join(
            cell([100 * v for v in values]) + ' %' for values in stats) +
            ' |')
    return '\n'.join(lines)


def time_sar_step(steps, seed=0):
    """Per-step seconds of FixMatch + SAR and FixMatch, same batches and
    weights, interleaved."""
    from mmengine.optim import OptimWrapper
    from mmpretrain.registry import MODELS
    work_dir = tempfile.mkdtemp()
    runner = Runner.from_cfg(
        build_cfg('fixmatch', 'long-tailed', seed, None, work_dir))
    loader = iter(runner.train_dataloader)
    batches = [next(loader) for _ in range(steps + 2)]
    plain = runner.model.train()
    sar_cfg = Config.fromfile(config_path('fixmatch+sar',
                                          'long-tailed')).model
    sar_cfg.data_preprocessor = runner.cfg.data_preprocessor
    with_sar = MODELS.build(sar_cfg).train()
    with_sar.load_state_dict(plain.state_dict(), strict=False)
    arms = {
        name: (model,
               OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3)))
        for name, model in (('fixmatch+sar', with_sar), ('fixmatch',
                                                         plain))
    }
    times = {name: [] for name in arms}
    for step, batch in enumerate(batches):
        for name, (model, wrapper) in arms.items():
            start = time.perf_counter()
            model.train_step(batch, wrapper)
            if step >= 2:  # warm-up steps are not timed
                times[name].append(time.perf_counter() - start)
    # the per-branch lists hold None where a sample lacks the branch
    batch_size = sum(x is not None for branch in batches[0]['inputs'].values()
                     for x in branch)
    return times, batch_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--iters', type=int, help='training steps (default: the demos\')')
    parser.add_argument(
        '--settings', nargs='+', default=['long-tailed'], choices=SETTINGS)
    add_subset_arg(parser, '--methods', METHODS)
    parser.add_argument('--timing-steps', type=int, default=30)
    parser.add_argument('--work-dir', default='work_dirs/bench_semi_cls')
    parser.add_argument(
        '--runs-only', action='store_true',
        help='train (or reuse) the runs, write no report')
    parser.add_argument(
        '--report-only', action='store_true',
        help='train nothing: report the seeds whose runs have all finished')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results', 'semi_cls'))
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
    cv2.setNumThreads(1)
    MMLogger.get_current_instance().setLevel(logging.WARNING)

    runs, seconds = {}, {}
    for setting in args.settings:
        for seed in args.seeds:
            for method in args.methods:
                result, took = cached_run(method, setting, seed,
                                          args.iters, args.work_dir,
                                          train=not args.report_only)
                if result is None:
                    continue
                runs[(setting, method, seed)] = result
                seconds.setdefault(method, []).append(took)
                print(f'{setting} seed {seed} {method}: {result} '
                      f'({took:.0f} s)', flush=True)
    if args.runs_only:
        return
    # with --report-only, the seeds every arm of every setting has finished
    args.seeds = [
        seed for seed in args.seeds
        if all((setting, method, seed) in runs for setting in args.settings
               for method in args.methods)
    ]
    times, batch_size = time_sar_step(args.timing_steps)

    iters = args.iters or Config.fromfile(config_path(
        'fixmatch', 'balanced')).train_cfg.max_iters
    tables = [
        table(runs, s, args.seeds, args.methods)
        for s in args.settings for table in (accuracy_table, paired_table)
    ]
    ratios = [a / b for a, b in zip(times['fixmatch+sar'],
                                    times['fixmatch'])]
    ratio = cell(ratios, '{:.3f} ± {:.3f}')
    medians = {name: statistics.median(t) for name, t in times.items()}
    of_medians = medians['fixmatch+sar'] / medians['fixmatch']
    per_run = ', '.join(f'{m} {statistics.mean(s):.0f} s'
                        for m, s in seconds.items())
    timing = '\n'.join([
        f'Training step, {batch_size} images of 16x16 digits (B labelled + '
        f'weak and strong views of 7B unlabelled), ResNet-32, CPU, 1 '
        f'thread, {args.timing_steps} interleaved steps on the same batches '
        f'from the same weights:', '', '| step | median seconds |',
        '|---|---|', *[f'| {n} | {t:.4f} |' for n, t in medians.items()], '',
        f'FixMatch + SAR / FixMatch step time: **{ratio}** (per-step ratio, '
        f'mean ± std; ratio of the medians {of_medians:.3f}). Mean training '
        f'time per run ({iters} steps, with the final evaluation): '
        f'{per_run}.'
    ])
    report = '\n\n'.join([
        f'# Semi-supervised LTDigits, ResNet-32, {iters} steps '
        f'(`python benchmarks/semi_cls.py`)', *tables, timing
    ]) + '\n'
    write_report(
        args.out, report,
        dict(
            args=vars(args),
            runs={'/'.join(map(str, k)): v
                  for k, v in runs.items()},
            step_seconds=times,
            train_seconds=seconds))


if __name__ == '__main__':
    main()
