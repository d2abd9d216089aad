"""SimCLR vs SimCLR + Geometric Harmonization (GH) on the built-in LTDigits.

Two measurements, written as markdown to stdout and to
``benchmarks/results/gh_ssl.md``:

1. Linear-probe accuracy, per seed: pre-train ``configs/demo/
   simclr_lt-digits.py`` and ``simclr_lt-digits_gh.py`` (the same schedule,
   the same initial weights and data order; GH is the only difference),
   then train ``configs/demo/linear-probe_lt-digits.py`` on each frozen
   backbone. Reported as mean ± sd over the seeds: top-1, many/medium/few
   shot accuracy (LTAccuracy) and the standard deviation of the per-class
   accuracies (the paper's uniformity measure; lower is more uniform).
2. Step time of GH vs plain SimCLR: both models built from the demo
   configs with the same weights, GH active (weight 1, prior estimated),
   training steps on the same real batches, interleaved in one process so
   machine load hits every arm alike. A third arm runs Sinkhorn for a fixed
   300 iterations (the reference's behaviour, ``sinkhorn_tol=0``).

Usage::

    python benchmarks/gh_ssl.py                          # 3 seeds, 100 epochs
    python benchmarks/gh_ssl.py --seeds 0 --epochs 10    # quick check
"""
import argparse
import copy
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
from mmpretrain.registry import MODELS  # noqa: E402

from benchmarks.common import mean_std  # noqa: E402

DEMO = osp.join(REPO, 'configs', 'demo')
ARMS = {
    'SimCLR': 'simclr_lt-digits.py',
    'SimCLR + GH': 'simclr_lt-digits_gh.py',
}
PROBE = 'linear-probe_lt-digits.py'
RESULTS = osp.join(REPO, 'benchmarks', 'results', 'gh_ssl.md')


def load(name, epochs=None):
    """A demo config; ``epochs`` rescales its schedule (warm-up at half)."""
    cfg = Config.fromfile(osp.join(DEMO, name))
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


def pretrain_and_probe(arm, seed, epochs, probe_epochs, root):
    cfg = load(ARMS[arm], epochs)
    tag = f'{ARMS[arm][:-3]}_seed{seed}'
    runner = run(cfg, osp.join(root, tag), seed, tag)
    checkpoint = osp.join(runner.work_dir,
                          f'epoch_{cfg.train_cfg.max_epochs}.pth')
    probe = load(PROBE)
    probe.model.backbone.init_cfg.checkpoint = checkpoint
    if probe_epochs is not None:
        probe.train_cfg.max_epochs = probe_epochs
        probe.param_scheduler.gamma = 1e-2**(1 / probe_epochs)
    probe.train_cfg.val_interval = probe.train_cfg.max_epochs + 1
    probe_runner = run(probe, osp.join(root, f'probe_{tag}'), seed,
                       f'probe_{tag}')
    metrics = probe_runner.test()
    per_class = [v for k, v in metrics.items() if '/per_class/' in k]
    return dict(
        top1=metrics['accuracy/top1'],
        many=metrics['accuracy/many'],
        medium=metrics['accuracy/medium'],
        few=metrics['accuracy/few'],
        class_sd=float(np.std(per_class)))


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


def mean_sd(values):
    return '{:.1f} ± {:.1f}'.format(*mean_std(values))


def report(args, results, times):
    lines = [
        f'## SimCLR vs SimCLR + GH on LTDigits (imbalance 10), '
        f'{len(args.seeds)} seed(s): {", ".join(map(str, args.seeds))}',
        '',
        f'Pre-training: {args.epochs or 100} epochs (GH after half of '
        f'them); linear probe on the balanced train split, '
        f'{args.probe_epochs or 50} epochs; balanced test split, 50 '
        f'images per digit. Accuracy in %, mean ± sd over seeds. Shot '
        f'groups by pre-training count: many > 100 (digit 0), few < 20 '
        f'(digits 8, 9), medium the rest. class sd: standard deviation of '
        f'the 10 per-class accuracies (lower is more uniform).',
        '',
        '| method | top-1 | many | medium | few | class sd |',
        '|---|---|---|---|---|---|',
    ]
    for arm, runs in results.items():
        cells = [
            mean_sd([r[key] for r in runs])
            for key in ('top1', 'many', 'medium', 'few', 'class_sd')
        ]
        lines.append(f'| {arm} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append('Per seed (top-1 / few / class sd):')
    lines.append('')
    for arm, runs in results.items():
        per_seed = '; '.join(
            f'seed {s}: {r["top1"]:.1f} / {r["few"]:.1f} / '
            f'{r["class_sd"]:.1f}' for s, r in zip(args.seeds, runs))
        lines.append(f'- {arm}: {per_seed}')
    base = times['SimCLR']
    lines += [
        '',
        f'## Step time, {args.steps} interleaved steps (median), '
        f'{torch.get_num_threads()} thread(s), batch 64 x 2 views',
        '',
        '| arm | step time | ratio to SimCLR |',
        '|---|---|---|',
    ]
    for name, value in times.items():
        lines.append(f'| {name} | {value * 1e3:.1f} ms | '
                     f'{value / base:.3f} |')
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--epochs', type=int, help='pre-training epochs (default: config)')
    parser.add_argument(
        '--probe-epochs', type=int, help='probe epochs (default: config)')
    parser.add_argument('--steps', type=int, default=60,
                        help='timed steps per arm')
    parser.add_argument(
        '--threads', type=int, default=1,
        help='torch threads; 1 is fastest for these tiny models on a busy '
        'machine')
    parser.add_argument('--out', default=RESULTS)
    args = parser.parse_args()
    if args.epochs is not None and args.epochs < 6:
        parser.error('--epochs must be at least 6 (2 of linear LR warm-up, '
                     'then two cosine segments)')
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('gh_ssl', log_level='WARNING')

    times = step_times(args.steps)
    results = {arm: [] for arm in ARMS}
    with tempfile.TemporaryDirectory() as root:
        for seed in args.seeds:
            for arm in ARMS:
                start = time.time()
                results[arm].append(
                    pretrain_and_probe(arm, seed, args.epochs,
                                       args.probe_epochs, root))
                print(f'{arm}, seed {seed}: {results[arm][-1]} '
                      f'({time.time() - start:.0f} s)', flush=True)
    text = report(args, results, times)
    print(text)
    with open(args.out, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
