"""What SAR costs: step time and peak memory with vs without SAR, and the
pull-target construction, ours (indexing) vs the reference's one-hot.

Both measurements are ratios taken in one run on the same data and seed:

1. Training step of DeepLabV3-R50-D8 (ADE20K config: 150 classes, D=512),
   base model vs the same model with SAR (same initial weights, same batch),
   timed interleaved. Peak memory: ``torch.cuda.max_memory_allocated`` per
   arm on GPU; on CPU the peak resident set size of a fresh process per arm.
2. Pull-target construction at ADE20K scale (C=150, D=512, 64x64 features,
   batch 4): ``M[labels]`` vs scattering a one-hot map and multiplying it by
   ``M`` (what the reference ``sar.py`` does), time and bytes allocated.

Usage::

    python benchmarks/sar_overhead.py                      # CPU, 128x128, batch 2
    python benchmarks/sar_overhead.py --device cuda --crop 512 --batch 4
"""
import argparse
import copy
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time

# keep the profiler's (Kineto's) start/stop chatter out of the report
os.environ.setdefault('KINETO_LOG_LEVEL', '5')
import torch  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.model import revert_sync_batchnorm  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402

from benchmarks.common import fake_seg_batch, sync  # noqa: E402

CONFIG = osp.join(REPO, 'configs/sar/deeplabv3_r50_ade20k_sar.py')


def build_models(crop, device, arms=('base', 'sar')):
    """The base and SAR models with identical initial weights."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIG).model
    cfg.pretrained = None
    cfg.data_preprocessor.size = (crop, crop)
    base_cfg = copy.deepcopy(cfg)
    base_cfg.type = 'EncoderDecoder'
    base_cfg.pop('sar')
    models = {}
    for arm in arms:
        torch.manual_seed(0)  # same initial weights for both arms
        model = MODELS.build(cfg if arm == 'sar' else base_cfg)
        if not device.startswith('cuda'):
            model = revert_sync_batchnorm(model)
        models[arm] = model.to(device).train()
    return [models[arm] for arm in arms]


def step(model, optim, data):
    return model.train_step(copy.deepcopy(data), optim)


def open_gate(sar_model):
    """Measure the steady state: the gate open, pull loss on."""
    sar_model.sar.gate_open.fill_(True)
    sar_model.sar.anchors_initialized.fill_(True)
    sar_model.sar.update_conf = 0.0  # keep it open whatever the anchors do


def time_steps(args):
    base, sar = build_models(args.crop, args.device)
    open_gate(sar)
    data = fake_seg_batch(150, args.crop, args.batch)
    optims = [
        OptimWrapper(torch.optim.SGD(m.parameters(), lr=1e-4))
        for m in (base, sar)
    ]
    times = {'base': [], 'sar': []}
    for i in range(args.warmup + args.repeats):
        for name, model, optim in (('base', base, optims[0]),
                                   ('sar', sar, optims[1])):
            sync(args.device)
            start = time.perf_counter()
            step(model, optim, data)
            sync(args.device)
            if i >= args.warmup:
                times[name].append(time.perf_counter() - start)
    return times


def peak_memory_one_arm(args, arm):
    """Peak memory of training steps of one arm, in this process."""
    model, = build_models(args.crop, args.device, arms=(arm, ))
    if arm == 'sar':
        open_gate(model)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-4))
    data = fake_seg_batch(150, args.crop, args.batch)
    if args.device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    for _ in range(3):
        step(model, optim, data)
    if args.device.startswith('cuda'):
        return torch.cuda.max_memory_allocated()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_memory(args):
    if args.device.startswith('cuda'):
        # one process is fine: the allocator's peak counter is resettable
        return {arm: peak_memory_one_arm(args, arm) for arm in ('base', 'sar')}
    peaks = {}
    for arm in ('base', 'sar'):
        out = subprocess.run([
            sys.executable, __file__, '--memory-arm', arm, '--crop',
            str(args.crop), '--batch',
            str(args.batch), '--device', args.device
        ],
                             capture_output=True,
                             text=True,
                             check=True)
        peaks[arm] = int(out.stdout.strip().splitlines()[-1])
    return peaks


def onehot_target(labels, anchors):
    """The reference's construction: one-hot (with a spare class for
    ignored pixels) times the anchor matrix."""
    n, h, w = labels.shape
    num_classes = anchors.shape[0]
    index = torch.where(labels < num_classes, labels,
                        torch.full_like(labels, num_classes))
    onehot = torch.zeros(
        n, num_classes + 1, h, w, device=labels.device).scatter_(
            1, index[:, None], 1)
    return (onehot[:, :-1].permute(0, 2, 3, 1) @ anchors).permute(0, 3, 1, 2)


def index_target(labels, anchors):
    return anchors[labels.clamp(max=anchors.shape[0] - 1)].permute(0, 3, 1, 2)


def bytes_allocated(fn, *args):
    with torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU],
            profile_memory=True) as prof:
        fn(*args)
    return sum(
        max(e.self_cpu_memory_usage, 0) for e in prof.key_averages())


def target_construction(args):
    torch.manual_seed(0)
    labels = torch.randint(0, 150, (4, 64, 64), device=args.device)
    labels[:, :4] = 255
    anchors = torch.randn(150, 512, device=args.device)
    valid = (labels != 255)[:, None]
    torch.testing.assert_close(
        onehot_target(labels, anchors) * valid,
        index_target(labels, anchors) * valid)
    times = {'onehot': [], 'index': []}
    for i in range(5 + args.repeats * 4):
        for name, fn in (('onehot', onehot_target), ('index',
                                                      index_target)):
            sync(args.device)
            start = time.perf_counter()
            fn(labels, anchors)
            sync(args.device)
            if i >= 5:
                times[name].append(time.perf_counter() - start)
    memory = {}
    if not args.device.startswith('cuda'):
        memory = {
            'onehot': bytes_allocated(onehot_target, labels, anchors),
            'index': bytes_allocated(index_target, labels, anchors)
        }
    return times, memory


def summary(values):
    return statistics.median(values), statistics.pstdev(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--crop', type=int, default=128)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--out', help='write the numbers as JSON here')
    parser.add_argument('--memory-arm', help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    if args.memory_arm:
        print(peak_memory_one_arm(args, args.memory_arm))
        return

    step_times = time_steps(args)
    ratios = [s / b for b, s in zip(step_times['base'], step_times['sar'])]
    peaks = peak_memory(args)
    target_times, target_bytes = target_construction(args)
    speedups = [
        o / i for o, i in zip(target_times['onehot'], target_times['index'])
    ]

    base_t, base_sd = summary(step_times['base'])
    sar_t, sar_sd = summary(step_times['sar'])
    ratio, ratio_sd = summary(ratios)
    print(f'## SAR overhead: DeepLabV3-R50-D8 (150 classes), '
          f'{args.device}, crop {args.crop}, batch {args.batch}, '
          f'{args.repeats} interleaved steps')
    print('| | base | SAR | ratio |')
    print('|---|---|---|---|')
    print(f'| step time (median ± sd) | {base_t * 1e3:.1f} ± '
          f'{base_sd * 1e3:.1f} ms | {sar_t * 1e3:.1f} ± {sar_sd * 1e3:.1f} '
          f'ms | {ratio:.3f} ± {ratio_sd:.3f} |')
    memory_kind = ('peak allocated' if args.device.startswith('cuda') else
                   'peak RSS')
    print(f'| {memory_kind} | {peaks["base"] / 2**20:.0f} MiB | '
          f'{peaks["sar"] / 2**20:.0f} MiB | '
          f'{peaks["sar"] / peaks["base"]:.3f} |')
    onehot_t, _ = summary(target_times['onehot'])
    index_t, _ = summary(target_times['index'])
    speedup, speedup_sd = summary(speedups)
    print()
    print('## Pull-target construction (C=150, D=512, 4x64x64)')
    print('| | one-hot @ M (reference) | M[labels] (ours) | ratio |')
    print('|---|---|---|---|')
    print(f'| time (median) | {onehot_t * 1e3:.2f} ms | '
          f'{index_t * 1e3:.2f} ms | {speedup:.1f}x ± {speedup_sd:.1f} '
          f'faster |')
    if target_bytes:
        print(f'| bytes allocated | {target_bytes["onehot"] / 2**20:.1f} MiB'
              f' | {target_bytes["index"] / 2**20:.1f} MiB | '
              f'{target_bytes["onehot"] / target_bytes["index"]:.2f}x less |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    args=vars(args),
                    step_times=step_times,
                    peak_memory=peaks,
                    target_times=target_times,
                    target_bytes=target_bytes), f, indent=2)


if __name__ == '__main__':
    main()
