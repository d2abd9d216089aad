"""One-shot GPU check of sar_mm: one command, a markdown report.

Stages (``--stages``, all by default):

1. ``parity``: forward and backward of SAR, BCL, RCL, GH, the long-tailed
   pixel sampler and the class-balanced cross-entropy on the device; each
   loss must match the CPU loss on the same inputs to 1e-4.
2. ``amp``: 50 fp16-AMP iterations (``tools/train.py --amp``) of the SAR
   demo (``configs/demo/fcn_lt-digit-scenes_sar.py``); every logged loss
   must be finite.
3. ``overhead``: ``benchmarks/sar_overhead.py --crop 512 --batch 4`` on the
   device: step-time and peak-memory ratios SAR / base, target <= 1.02.
4. ``sync``: on CUDA, every module's forward and backward under
   ``torch.cuda.set_sync_debug_mode('error')`` (any host-device
   synchronisation raises), and one whole SAR + sampler + balanced-loss
   training step (``model.train_step``) under ``'warn'``, each
   synchronisation attributed to the code that asked for it: sar_mm's must
   be none (mmseg's and mmengine's own are listed). On CPU the calls that
   would synchronise are counted instead (``HostReads``).

Usage::

    python benchmarks/gpu_check.py                     # CUDA, ~5 min
    python benchmarks/gpu_check.py --device cpu --quick --out /tmp/gpu.md

``--quick`` runs every stage at a tiny size (the CPU fallback the test
suite runs). The exit status is 1 when a check fails.
"""
import argparse
import copy
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from contextlib import contextmanager
from types import SimpleNamespace

import torch
from torch import nn

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from mmengine.config import Config  # noqa: E402
from mmengine.model import revert_sync_batchnorm  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402

from benchmarks.common import (SAR_MM, HostReads,  # noqa: E402
                               fake_seg_batch, semi_seg_batch)
from sar_mm.models.losses import (BalancedSupConLoss,  # noqa: E402
                                  ClassBalancedCrossEntropyLoss, GHLoss,
                                  RebalancedSupConLoss)
from sar_mm.models.sar import SemanticAnchorLoss  # noqa: E402
from sar_mm.models.samplers import LongTailPixelSampler  # noqa: E402

SAR_DEMO = osp.join(REPO, 'configs/demo/fcn_lt-digit-scenes_sar.py')
SEMI_DEMO = osp.join(
    REPO, 'configs/semi/'
    'fixmatch-sar-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py')
TOLERANCE = 1e-4
TARGET_RATIO = 1.02
C, D = 6, 16  # classes and channels of the module checks


# ----------------------------------------------------------------- modules
# Each case builds a module and its inputs (seeded, on the CPU), moves them
# to the device, and returns a closure running forward and backward; the
# closure returns the loss. The moves happen before the closure, so only
# the module's own work runs under sync-debug mode.


def _labels(shape, gen, ignore=True):
    labels = torch.randint(0, C, shape, generator=gen)
    if ignore:
        labels.view(-1)[::7] = 255
    return labels


def sar_case(device):
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    sar = SemanticAnchorLoss(num_classes=C, feat_channels=D)
    classifier = nn.Conv2d(D, C, 1)
    sar.semantic_anchors.normal_(generator=gen)
    sar.gate_open.fill_(True)  # the pull loss runs too
    sar.anchors_initialized.fill_(True)
    sar.update_conf = 0.0
    feats = torch.randn(2, D, 8, 8, generator=gen)
    labels = _labels((2, 16, 16), gen)  # resized to the features inside
    sar, classifier = sar.to(device), classifier.to(device)
    feats = feats.to(device).requires_grad_(True)
    labels = labels.to(device)

    def run():
        losses = sar(feats, labels,
                     lambda a: classifier(a[:, :, None, None]).flatten(1))
        loss = losses['loss_sar_anchor'] + losses['loss_sar_pull']
        loss.backward()
        return loss

    return run


def contrast_case(loss_cls, **kwargs):

    def case(device):
        gen = torch.Generator().manual_seed(1)
        loss_fn = loss_cls(**kwargs)
        if isinstance(loss_fn, RebalancedSupConLoss):
            loss_fn.set_class_counts([40, 20, 10, 5, 3, 2])
        feats = torch.randn(24, D, generator=gen)
        labels = torch.randint(0, C, (24, ), generator=gen)
        prototypes = torch.randn(C, D, generator=gen)
        loss_fn = loss_fn.to(device)
        feats = feats.to(device).requires_grad_(True)
        labels, prototypes = labels.to(device), prototypes.to(device)

        def run():
            loss = loss_fn(feats, labels, prototypes)
            loss.backward()
            return loss

        return run

    return case


def gh_case(device):
    gen = torch.Generator().manual_seed(2)
    # sinkhorn_tol=0: its tolerance check reads one value back every 10
    # iterations (GHLoss documents it); 0 runs all iterations sync-free
    gh = GHLoss(num_classes=C, feat_dim=D, num_samples=32, sinkhorn_tol=0)
    gh.prior.copy_(torch.softmax(-torch.arange(float(C)), 0))
    z1, z2 = torch.randn(2, 8, D, generator=gen)
    gh = gh.to(device)
    z1 = z1.to(device).requires_grad_(True)
    z2 = z2.to(device).requires_grad_(True)
    indices = list(range(3, 11))  # host values, as the metainfo holds them

    def run():
        loss = gh(z1, z2, indices)
        loss.backward()
        return loss

    return run


def sampler_and_balanced_loss_case(device):
    """The sampler's weights (hard mining, running counts) feed the
    class-balanced cross-entropy, as in a decode head."""
    gen = torch.Generator().manual_seed(3)
    head = SimpleNamespace(num_classes=C, ignore_index=255, out_channels=C)
    sampler = LongTailPixelSampler(head, hard_fraction=0.5)
    loss_fn = ClassBalancedCrossEntropyLoss(
        class_weight=[0.5, 1, 1, 2, 2, 4])
    logits = torch.randn(2, C, 16, 16, generator=gen)
    labels = _labels((2, 16, 16), gen)
    loss_fn = loss_fn.to(device)
    logits = logits.to(device).requires_grad_(True)
    labels = labels.to(device)

    def run():
        weight = sampler.sample(logits.detach(), labels[:, None])
        loss = loss_fn(logits, labels, weight=weight)
        loss.backward()
        return loss

    return run


CASES = {
    'SemanticAnchorLoss (SAR)': sar_case,
    'BalancedSupConLoss (BCL)': contrast_case(BalancedSupConLoss),
    'RebalancedSupConLoss (RCL)': contrast_case(
        RebalancedSupConLoss, prior_tau=1.0, feat_scale=1.5),
    'GHLoss (GH)': gh_case,
    'LongTailPixelSampler + ClassBalancedCrossEntropyLoss':
    sampler_and_balanced_loss_case,
}


def parity(args):
    rows, ok = [], True
    for name, case in CASES.items():
        cpu = float(case('cpu')())
        dev = float(case(args.device)())
        diff = abs(cpu - dev)
        passed = math.isfinite(dev) and diff <= TOLERANCE * max(1, abs(cpu))
        ok &= passed
        rows.append(f'| {name} | {cpu:.6f} | {dev:.6f} | {diff:.1e} | '
                    f'{"pass" if passed else "FAIL"} |')
    return ok, [
        f'Loss on `{args.device}` vs on the CPU, same inputs, after forward '
        f'and backward; tolerance {TOLERANCE} (relative above 1).', '',
        '| module | CPU | device | difference | |', '|---|---|---|---|---|',
        *rows
    ]


# --------------------------------------------------------------------- amp


def run_tool(argv):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, *argv],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True)


def quick_scenes(tmp):
    """cfg-options for a tiny LTDigitScenes under ``tmp`` (made on use)."""
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [
            f'{loader}.dataset.data_root={tmp}/scenes',
            f'{loader}.dataset.num_train=16', f'{loader}.dataset.num_val=4',
            f'{loader}.num_workers=0', f'{loader}.persistent_workers=False'
        ]
    return options + ['train_dataloader.batch_size=2']


def amp(args):
    iters = 2 if args.quick else 50
    with tempfile.TemporaryDirectory() as tmp:
        options = [
            f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            'default_hooks.logger.interval=1',
            f'default_hooks.checkpoint.interval={iters}'
        ] + (quick_scenes(tmp) if args.quick else [])
        result = run_tool([
            'tools/train.py', SAR_DEMO, '--amp', '--work-dir',
            osp.join(tmp, 'work'), '--cfg-options', *options
        ])
        logs = [
            json.loads(line) for path in glob.glob(
                osp.join(tmp, 'work', '*', 'vis_data', 'scalars.json'))
            for line in open(path)
        ]
    losses = [r['loss'] for r in logs if 'loss' in r]
    ok = result.returncode == 0 and len(losses) == iters and all(
        math.isfinite(v) for v in losses)
    wrapper = 'AmpOptimWrapper (fp16, dynamic loss scale)' \
        if args.device == 'cuda' else 'CPUAmpOptimWrapper (bf16)'
    ends = f', first {losses[0]:.4f}, last {losses[-1]:.4f}' \
        if losses else ''
    lines = [
        f'`tools/train.py {osp.relpath(SAR_DEMO, REPO)} --amp`, {iters} '
        f'iterations, {wrapper}: {len(losses)} losses logged, '
        f'{sum(map(math.isfinite, losses))} finite{ends}. '
        f'**{"pass" if ok else "FAIL"}**'
    ]
    if result.returncode != 0:
        lines += ['', '```', result.stderr[-3000:], '```']
    return ok, lines


# ---------------------------------------------------------------- overhead


def overhead(args):
    size = ['--crop', '64', '--batch', '2', '--repeats', '1', '--warmup',
            '0'] if args.quick else ['--crop', '512', '--batch', '4']
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, 'overhead.json')
        result = run_tool([
            'benchmarks/sar_overhead.py', '--device', args.device, *size,
            '--out', out
        ])
        if result.returncode != 0:
            return False, ['```', result.stderr[-3000:], '```']
        numbers = json.load(open(out))
    times, peaks = numbers['step_times'], numbers['peak_memory']
    ratios = sorted(s / b for b, s in zip(times['base'], times['sar']))
    step_ratio = ratios[len(ratios) // 2]
    memory_ratio = peaks['sar'] / peaks['base']
    on_target = step_ratio <= TARGET_RATIO and memory_ratio <= TARGET_RATIO
    # a quick run checks that the stage works; its tiny sizes measure nothing
    ok = on_target or args.quick
    crop = size[1]
    note = ' (a quick run: tiny sizes, not a measurement)' if args.quick \
        else ''
    return ok, [
        f'`benchmarks/sar_overhead.py --device {args.device} '
        f'{" ".join(size)}`: DeepLabV3-R50-D8, 150 classes, base vs SAR '
        f'(gate open), steps interleaved in one run.', '',
        '| | ratio SAR / base | target |', '|---|---|---|',
        f'| step time (median of {len(ratios)}) | {step_ratio:.3f} | '
        f'<= {TARGET_RATIO} |',
        f'| peak memory | {memory_ratio:.3f} | <= {TARGET_RATIO} |', '',
        f'Crop {crop}: **{"on target" if on_target else "over target"}**'
        f'{note}.'
    ]


# -------------------------------------------------------------------- sync


def sar_lt_model(device, crop):
    """The SAR demo model with the long-tailed sampler and the balanced
    loss, the SAR gate open, and a batch for it."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(SAR_DEMO).model
    cfg.data_preprocessor.size = (crop, crop)
    cfg.decode_head.sampler = dict(
        type='LongTailPixelSampler', hard_fraction=0.5)
    cfg.decode_head.loss_decode = dict(
        type='ClassBalancedCrossEntropyLoss', class_weight=[0.5] + [1] * 10)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    if device == 'cpu':
        model = revert_sync_batchnorm(model)
    model = model.to(device).train()
    model.sar.gate_open.fill_(True)
    model.sar.anchors_initialized.fill_(True)
    model.sar.update_conf = 0.0
    return model, fake_seg_batch(11, crop, 2, ignore_rows=4, device=device)


def semi_models(device, crop):
    """FixMatch + SAR with an EMA teacher and UniMatch + SAR on the semi
    demo's segmentor, SAR's gate open, each with a multi-branch batch:
    pseudo-labels, CutMix, the unlabelled losses and SAR's pulls."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(SEMI_DEMO).model
    cfg.segmentor.data_preprocessor.size = (crop, crop)
    variants = {
        'FixMatch + SAR, EMA teacher':
        (dict(semi_train_cfg=dict(ema_teacher=True)), ('unsup_strong', )),
        'UniMatch + SAR': (dict(type='UniMatchSegmentor'),
                           ('unsup_strong1', 'unsup_strong2')),
    }
    for name, (changes, strong) in variants.items():
        torch.manual_seed(0)
        model = MODELS.build(dict(cfg, **changes))
        if device == 'cpu':
            model = revert_sync_batchnorm(model)
        model = model.to(device).train()
        model.teacher_synced = True  # MeanTeacherHook's job in a run
        model.sar.gate_open.fill_(True)
        model.sar.anchors_initialized.fill_(True)
        model.sar.update_conf = 0.0
        yield name, model, semi_seg_batch(11, crop, 2, strong)


@contextmanager
def attributed_syncs():
    """Under sync-debug mode 'warn': every synchronisation, attributed to
    the innermost frame of sar_mm (ours) or else of code outside torch."""
    found = dict(ours=[], upstream=Counter())
    torch_dir = osp.dirname(torch.__file__) + os.sep

    def show(message, category, filename, lineno, file=None, line=None):
        if 'synchroniz' not in str(message):
            return
        stack = traceback.extract_stack()[:-1]
        ours = [f for f in stack if f.filename.startswith(SAR_MM)]
        if ours:
            found['ours'].append(f'{ours[-1].filename[len(SAR_MM):]}:'
                                 f'{ours[-1].lineno}')
            return
        outside = [f for f in stack if not f.filename.startswith(torch_dir)
                   and f.filename != __file__]
        where = outside[-1] if outside else stack[-1]
        found['upstream'][f'{where.filename}:{where.lineno}'] += 1

    with warnings.catch_warnings():
        warnings.simplefilter('always')
        warnings.showwarning = show
        torch.cuda.set_sync_debug_mode('warn')
        try:
            yield found
        finally:
            torch.cuda.set_sync_debug_mode('default')


def sync(args):
    crop = 32 if args.quick else 128
    steps = {'SAR + LongTailPixelSampler + ClassBalancedCrossEntropyLoss':
             sar_lt_model(args.device, crop)}
    steps.update((name, (model, data)) for name, model, data in semi_models(
        args.device, 32 if args.quick else 64))
    lines, ok = [], True
    for model, data in steps.values():
        optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
        model.train_step(copy.deepcopy(data), optim)  # lazy state
    if args.device != 'cuda':
        lines.append('No CUDA: the calls that would synchronise on a GPU are '
                     'counted (`HostReads`) during one `model.train_step` '
                     'of each model.')
        for name, (model, data) in steps.items():
            optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
            with HostReads() as reads:
                model.train_step(data, optim)
            ok &= not reads.ours
            lines += [
                '', f'{name}: sar_mm syncs: {len(reads.ours)}; upstream '
                f'calls: {dict(reads.upstream)}'
            ]
    else:
        rows = []
        for name, case in CASES.items():
            run = case('cuda')
            torch.cuda.synchronize()
            torch.cuda.set_sync_debug_mode('error')
            try:
                run()
                rows.append(f'| {name} | none |')
            except RuntimeError as err:
                ok = False
                rows.append(f'| {name} | **{str(err).splitlines()[0]}** |')
            finally:
                torch.cuda.set_sync_debug_mode('default')
        lines += [
            "Forward and backward of each module under "
            "`torch.cuda.set_sync_debug_mode('error')`:", '',
            '| module | synchronisation |', '|---|---|', *rows
        ]
        for name, (model, data) in steps.items():
            optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
            with attributed_syncs() as found:
                model.train_step(data, optim)
            ours = found['ours']
            ok &= not ours
            upstream = ', '.join(
                f'`{where.split("site-packages" + os.sep)[-1]}` x{n}'
                for where, n in found['upstream'].most_common(8)) or 'none'
            lines += [
                '', f"One `model.train_step` of {name} under `'warn'`, each "
                'synchronisation attributed:', '',
                f'sar_mm syncs: {len(ours)} {ours[:8]}', '',
                'upstream (mmengine data transfer, mmseg accuracy and '
                f'losses...): {upstream}'
            ]
    return ok, lines


STAGES = dict(parity=parity, amp=amp, overhead=overhead, sync=sync)


def environment(device):
    import mmengine
    import mmpretrain
    import mmseg
    name = torch.cuda.get_device_name() if device == 'cuda' else 'CPU'
    return (f'{name}; torch {torch.__version__} (CUDA '
            f'{torch.version.cuda}), mmengine {mmengine.__version__}, '
            f'mmseg {mmseg.__version__}, mmpretrain {mmpretrain.__version__}, '
            f'sar_mm {sar_mm.__version__}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--device',
        default='cuda',
        choices=['cuda', 'cpu'],
        help='where to check (default: cuda)')
    parser.add_argument(
        '--stages',
        nargs='+',
        default=list(STAGES),
        choices=list(STAGES),
        help='which checks to run (default: all)')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='every stage at a tiny size (the CPU fallback of the tests)')
    parser.add_argument(
        '--out',
        default=osp.join(REPO, 'benchmarks/results/gpu.md'),
        help='the markdown report (default: benchmarks/results/gpu.md)')
    args = parser.parse_args()
    if args.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('ERROR: --device cuda, but torch sees no CUDA device; '
                 'use --device cpu --quick for the CPU fallback')
    torch.backends.cudnn.benchmark = False
    sections = [
        '# GPU check of sar_mm', '',
        f'`python benchmarks/gpu_check.py --device {args.device}'
        f'{" --quick" if args.quick else ""}`, '
        f'{time.strftime("%Y-%m-%d")}: {environment(args.device)}.', ''
    ]
    failed = []
    for name in args.stages:
        start = time.time()
        try:
            ok, lines = STAGES[name](args)
        except Exception:  # a stage that crashes is reported, not hidden
            ok, lines = False, ['```', traceback.format_exc()[-3000:], '```']
        if not ok:
            failed.append(name)
        sections += [
            f'## {name}: {"pass" if ok else "FAIL"} '
            f'({time.time() - start:.0f} s)', '', *lines, ''
        ]
        print('\n'.join(sections[-len(lines) - 3:]), flush=True)
    sections.append('Result: all checks pass.' if not failed else
                    f'Result: failed: {", ".join(failed)}.')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write('\n'.join(sections) + '\n')
    print(f'report written to {args.out}')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
