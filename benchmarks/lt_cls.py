"""Long-tailed classification on the built-in LTDigits: CE vs LA vs BCL vs
RCL vs SAR, and what a BCL step costs.

1. Accuracy. Every method trains ResNet-32 from scratch with the demo
   recipe (``configs/demo/*_lt-digits.py``: 16x16 digits, batch 64, SGD
   with the CIFAR-LT schedule scaled to batch 64, 30 epochs) at imbalance
   ratios 10 and 50, once per seed; the data split is the same for every
   run (LTDigits seed 0), the seed changes initialisation, augmentation and
   batch order. Reported: top-1 on the balanced test split and the mean
   per-class accuracy of the many- (> 60 training images), medium- and
   few-shot (< 20) classes, mean +- standard deviation over the seeds.
   "CE + post-hoc LA" is the CE model predicting with
   ``LogitAdjustLinearClsHead`` (tau = 1): the same trained weights, so it
   costs no training run.
2. Cost of BCL: one training step of the BCL model (backbone on the 3
   views, BCL head and losses) vs a plain cross-entropy step of the same
   backbone on the same 3 views (3B images, each with its label), same
   batch, timed interleaved in one run; the ratio is reported.

Usage::

    python benchmarks/lt_cls.py                      # 3 seeds, 30 epochs
    python benchmarks/lt_cls.py --seeds 0 --epochs 2 # quick check

Writes ``benchmarks/results/lt_cls.md`` (the tables), ``lt_cls.json`` (every
run) and ``docs/figures/lt_cls.png``.
"""
import argparse
import copy
import logging
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

# The reference machine is a shared 2-core box: one thread per process
# (OpenMP threads waiting for busy cores make every step several times
# slower). Set before torch starts its thread pool.
os.environ.setdefault('OMP_NUM_THREADS', '1')
import cv2  # noqa: E402
import torch  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from benchmarks.common import (add_subset_arg, mean_std,  # noqa: E402
                               write_report)

DEMOS = osp.join(REPO, 'configs', 'demo')
# method -> (demo config, overrides); LA and RCL are one line away from CE
# and BCL, with the same settings as their CIFAR-LT configs.
METHODS = {
    'CE': ('ce_lt-digits.py', {
        'model.head.type': 'LogitAdjustLinearClsHead',
        'model.head.posthoc_tau': 0.
    }),
    'LA': ('ce_lt-digits.py', {
        'model.head.loss': dict(type='LogitAdjustCELoss', tau=1.0)
    }),
    'BCL': ('bcl_lt-digits.py', {}),
    'RCL': ('bcl_lt-digits.py', {
        'model.head.contrast_loss':
        dict(type='RebalancedSupConLoss', prior_tau=1.0, feat_scale=1.5)
    }),
    'SAR': ('sar_lt-digits.py', {}),
}
POSTHOC = 'CE + post-hoc LA'
ROWS = ['CE', POSTHOC, 'LA', 'BCL', 'RCL', 'SAR']
GROUPS = ['top1', 'many', 'medium', 'few']


def build_cfg(method, ratio, seed, epochs, work_dir):
    name, overrides = METHODS[method]
    cfg = Config.fromfile(osp.join(DEMOS, name))
    cfg.merge_from_dict(copy.deepcopy(overrides))
    # the metric's groups follow the training set (ClassCountsHook)
    cfg.train_dataloader.dataset.imbalance_ratio = ratio
    cfg.randomness = dict(seed=seed)
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs + 1  # evaluated after train()
    warmup = min(2, epochs)
    cfg.param_scheduler[0].end = warmup
    cfg.param_scheduler[1].begin = warmup
    cfg.param_scheduler[1].end = max(epochs, warmup + 1)
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1000
    cfg.visualizer.vis_backends = []
    cfg.work_dir = work_dir
    cfg.experiment_name = f'lt_cls_{method}_r{ratio}_s{seed}_{time.time()}'
    cfg.log_level = 'WARNING'
    return cfg


def accuracy(metrics):
    return {g: metrics.get(f'accuracy/{g}', float('nan')) for g in GROUPS}


def train_and_evaluate(method, ratio, seed, epochs):
    """Results of one run: {row name: {group: accuracy}}."""
    with tempfile.TemporaryDirectory() as work_dir:
        runner = Runner.from_cfg(
            build_cfg(method, ratio, seed, epochs, work_dir))
        start = time.time()
        runner.train()
        seconds = time.time() - start
        results = {method: accuracy(runner.val_loop.run())}
        if method == 'CE':
            runner.model.head.posthoc_tau = 1.
            results[POSTHOC] = accuracy(runner.val_loop.run())
    return results, seconds


def accuracy_table(runs, ratio, seeds):
    lines = [
        f'Imbalance ratio {ratio} ({len(seeds)} seeds: '
        f'{", ".join(map(str, seeds))}), accuracy % (mean ± std)', '',
        '| method | overall | many | medium | few |', '|---|---|---|---|---|'
    ]
    for row in ROWS:
        per_seed = [runs[(ratio, seed)].get(row) for seed in seeds]
        if None in per_seed:
            continue
        cells = []
        for group in GROUPS:
            mean, std = mean_std([r[group] for r in per_seed])
            cells.append(f'{mean:.1f} ± {std:.1f}')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot(runs, ratios, seeds, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(
        1, len(ratios), figsize=(6 * len(ratios), 4), squeeze=False)
    rows = [r for r in ROWS if r in runs[(ratios[0], seeds[0])]]
    width = 0.8 / len(rows)
    for ax, ratio in zip(axes[0], ratios):
        for i, row in enumerate(rows):
            stats = [
                mean_std([runs[(ratio, s)][row][g] for s in seeds])
                for g in GROUPS
            ]
            ax.bar([g + (i - len(rows) / 2 + 0.5) * width
                    for g in range(len(GROUPS))], [m for m, _ in stats],
                   width, yerr=[s for _, s in stats], capsize=2, label=row)
        ax.set_xticks(range(len(GROUPS)))
        ax.set_xticklabels(['overall', 'many', 'medium', 'few'])
        ax.set_ylim(0, 100)
        ax.set_title(f'LTDigits, imbalance ratio {ratio}')
        ax.set_ylabel('accuracy % (mean ± std over seeds)')
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='lower center', ncol=len(rows))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=120)


def time_bcl_step(steps):
    """Median seconds of a BCL step and of a CE step on the same 3 views."""
    from mmengine.optim import OptimWrapper
    from mmpretrain.registry import MODELS
    cfg = build_cfg('BCL', 10, 0, 1, tempfile.mkdtemp())
    runner = Runner.from_cfg(cfg)
    data = next(iter(runner.train_dataloader))
    bcl = runner.model.train()
    bcl.head.loss_module.set_class_counts(
        runner.train_dataloader.dataset.metainfo['class_counts'])
    ce_cfg = Config.fromfile(osp.join(DEMOS, 'ce_lt-digits.py')).model
    ce_cfg.data_preprocessor = None
    torch.manual_seed(0)
    ce = MODELS.build(ce_cfg).train()
    ce.backbone.load_state_dict(bcl.backbone.state_dict())

    views = bcl.data_preprocessor(data, training=True)
    inputs = torch.cat(views['inputs'])
    samples = views['data_samples']
    # the same images as one batch of 3B, each view with its label
    ce_samples = [copy.deepcopy(s) for _ in views['inputs'] for s in samples]

    def ce_step(wrapper):
        wrapper.update_params(ce.loss(inputs, ce_samples)['loss'])

    def bcl_step(wrapper):
        losses = bcl.loss(views['inputs'], samples)
        wrapper.update_params(sum(losses.values()))

    arms = {
        'BCL': (bcl_step,
                OptimWrapper(torch.optim.SGD(bcl.parameters(), lr=1e-3))),
        'CE, same 3 views': (ce_step,
                             OptimWrapper(
                                 torch.optim.SGD(ce.parameters(), lr=1e-3))),
    }
    times = {name: [] for name in arms}
    for step in range(steps + 2):
        for name, (fn, wrapper) in arms.items():
            start = time.perf_counter()
            fn(wrapper)
            if step >= 2:  # warm-up steps are not timed
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, len(
        samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--ratios', type=float, nargs='+', default=[10, 50])
    add_subset_arg(parser, '--methods', METHODS)
    parser.add_argument('--timing-steps', type=int, default=20)
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results', 'lt_cls'))
    parser.add_argument(
        '--figure', default=osp.join(REPO, 'docs', 'figures', 'lt_cls.png'))
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
    cv2.setNumThreads(1)
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    ratios = [int(r) if float(r).is_integer() else r for r in args.ratios]

    runs, seconds = {}, {}
    for ratio in ratios:
        for seed in args.seeds:
            runs[(ratio, seed)] = {}
            for method in args.methods:
                result, took = train_and_evaluate(method, ratio, seed,
                                                  args.epochs)
                runs[(ratio, seed)].update(result)
                seconds.setdefault(method, []).append(took)
                print(f'ratio {ratio} seed {seed} {method}: '
                      f'{result[method]} ({took:.0f} s)', flush=True)
    step, batch = time_bcl_step(args.timing_steps)

    tables = [accuracy_table(runs, ratio, args.seeds) for ratio in ratios]
    ratio = step['BCL'] / step['CE, same 3 views']
    timing = '\n'.join([
        f'Training step, batch {batch} x 3 views of 16x16 digits, ResNet-32, '
        f'CPU, 1 thread, median of {args.timing_steps} interleaved steps:',
        '',
        '| step | seconds |',
        '|---|---|',
        *[f'| {name} | {t:.4f} |' for name, t in step.items()],
        '',
        f'BCL / CE step time: **{ratio:.2f}x**. Mean training time per run '
        f'({args.epochs} epochs): ' + ', '.join(
            f'{m} {statistics.mean(s):.0f} s' for m, s in seconds.items()) +
        '.',
    ])
    report = '\n\n'.join([
        f'# LTDigits, ResNet-32, {args.epochs} epochs '
        f'(`python benchmarks/lt_cls.py`)', *tables, timing
    ]) + '\n'
    write_report(
        args.out, report,
        dict(
            args=vars(args),
            runs={f'{r}/{s}': v
                  for (r, s), v in runs.items()},
            step_seconds=step,
            train_seconds=seconds))
    plot(runs, ratios, args.seeds, args.figure)


if __name__ == '__main__':
    main()
