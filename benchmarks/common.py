"""What the benchmark scripts share: the statistics they report, how a report
is written, the device
synchronisation around timed code, fake segmentation batches (supervised
and semi-supervised), and a counter of the calls that would make a CUDA
host wait for the device.

Imported by the scripts next to it (``benchmarks/`` is on ``sys.path`` when
one of them runs) and by the tests (``from benchmarks.common import ...``).
"""
import json
import os.path as osp
import statistics
import sys
from collections import Counter
from contextlib import ExitStack
from typing import Optional, Sequence, Tuple
from unittest import mock

import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

SAR_MM = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                  'sar_mm') + osp.sep


def mean_std(values: Sequence[Optional[float]]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value) of the values
    that are not None; NaN for none."""
    values = [v for v in values if v is not None]
    if not values:
        return float('nan'), float('nan')
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), std


#: The long-tail-aware pseudo-labelling strategy of the semi-supervised
#: benchmarks' ``+lt`` arms, segmentation and classification alike.
LT_STRATEGY = dict(type='DistributionMatching')

#: The arm each semi-supervised benchmark arm contains (same labelled
#: batches, weights and schedule): the baseline of its paired difference.
SEMI_BASELINES = {
    'control': 'supervised',
    'fixmatch': 'supervised',
    'fixmatch+lt': 'supervised',
    'fixmatch+lt-floor': 'supervised',
    'fixmatch+ael': 'supervised',
    'fixmatch+oracle': 'supervised',
    'fixmatch+ema-burn': 'supervised',
    'fixmatch+ema-burn+flex': 'supervised',
    'fixmatch+ema-burn+lt': 'supervised',
    'fixmatch+ema-burn+lt-floor': 'supervised',
    'unimatch': 'supervised',
    'unimatch+ema-burn+lt': 'supervised',
    'fixmatch+sar': 'supervised+sar',
    'fixmatch+lt+sar': 'supervised+sar',
    'fixmatch+lt-floor+sar': 'supervised+sar',
    'fixmatch+ema-burn+sar': 'supervised+sar',
    'fixmatch+ema-burn+lt+sar': 'supervised+sar',
    'unimatch+sar': 'supervised+sar',
    # the tail arms: the same labelled loss on both sides
    'fixmatch+ema-burn+lt+cbce': 'supervised+cbce',
    'fixmatch+ema-burn+lt+sampler': 'supervised+sampler',
}


def paired_rows(results: dict, baselines: dict,
                metrics: Sequence[str] = ('mIoU', 'mIoU.tail')) -> list:
    """Markdown rows ``| arm | baseline | diff | ... |``: each arm of
    ``baselines`` minus its baseline, seed by seed, as mean ± sample std of
    the differences per metric; for the arms run with their baseline.

    Args:
        results (dict): arm -> final metrics of its runs, one per seed, in
            the same seed order for every arm.
        baselines (dict): arm -> the arm it contains.
        metrics (Sequence[str]): the metric keys, one column each.
    """
    rows = []
    for arm, base in baselines.items():
        if arm not in results or base not in results:
            continue
        cells = []
        for metric in metrics:
            deltas = [run[metric] - ref[metric]
                      for run, ref in zip(results[arm], results[base])]
            cells.append('{:+.2f} ± {:.2f}'.format(*mean_std(deltas)))
        rows.append(f'| {arm} | {base} | ' + ' | '.join(cells) + ' |')
    return rows


def add_subset_arg(parser, flag: str, names: Sequence[str],
                   default: Optional[Sequence[str]] = None) -> None:
    """``flag``: the arms (or methods) of a benchmark to run, a subset of
    ``names``; all of them unless ``default`` says otherwise."""
    parser.add_argument(
        flag,
        nargs='+',
        default=list(names if default is None else default),
        choices=list(names),
        metavar=flag.strip('-').upper().rstrip('S'),
        help=f'subset of: {", ".join(names)}')


def add_run_args(parser, what: str) -> None:
    """``--seeds``, ``--jobs`` and ``--report-only`` of a benchmark that
    trains runs; ``what`` it reports (``'arms'``, ``'cells'``)."""
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--jobs', type=int, default=1, help='runs trained at a time')
    parser.add_argument(
        '--report-only', action='store_true',
        help=f'train nothing: report the {what} whose runs have all finished')


def write_report(out: str, report: str, data: dict) -> None:
    """Print a markdown report and write it to ``out.md``, with the raw
    numbers behind it in ``out.json``."""
    print('\n' + report)
    with open(out + '.md', 'w') as f:
        f.write(report)
    with open(out + '.json', 'w') as f:
        json.dump(data, f, indent=1)


def sync(device: str) -> None:
    """Wait for the device, so that a timer read after it measures the work
    queued before it (CUDA runs asynchronously; the CPU does not)."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def fake_seg_batch(num_classes: int,
                   crop: int,
                   batch: int,
                   ignore_rows: int = 0,
                   ignore_index: int = 255,
                   seed: int = 0,
                   device: Optional[str] = None) -> dict:
    """A random mmseg training batch, as a dataloader gives it: uint8
    ``crop x crop`` images and label maps with uniform classes, the first
    ``ignore_rows`` rows set to ``ignore_index``. The labels go to
    ``device`` when given (the data preprocessor moves only the images)."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(
            torch.randint(
                0, 256, (3, crop, crop), generator=gen, dtype=torch.uint8))
        label = torch.randint(0, num_classes, (1, crop, crop), generator=gen)
        label[:, :ignore_rows] = ignore_index
        sample = SegDataSample(
            gt_sem_seg=PixelData(
                data=label if device is None else label.to(device)))
        sample.set_metainfo(
            dict(
                img_shape=(crop, crop),
                ori_shape=(crop, crop),
                pad_shape=(crop, crop)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def semi_seg_batch(num_classes: int,
                   crop: int,
                   per_source: int,
                   strong_branches: Sequence[str] = ('unsup_strong', )
                   ) -> dict:
    """A MultiBranch training batch for the semi-supervised segmentors:
    labelled scenes with random labels, unlabelled ones with a weak view,
    the strong views and their CutMix boxes (the centre of every other
    image: fixed, so no random number is drawn for them)."""
    gen = torch.Generator().manual_seed(0)

    def image():
        return torch.randint(
            0, 256, (3, crop, crop), generator=gen, dtype=torch.uint8)

    def sample(label, **meta):
        s = SegDataSample(gt_sem_seg=PixelData(data=label))
        s.set_metainfo(
            dict(img_shape=(crop, crop), ori_shape=(crop, crop), **meta))
        return s

    zeros = torch.zeros(1, crop, crop, dtype=torch.long)
    inputs = {
        'sup': [image() for _ in range(per_source)],
        'unsup_weak': [image() for _ in range(per_source)]
    }
    samples = {
        'sup': [
            sample(
                torch.randint(
                    0, num_classes, (1, crop, crop), generator=gen))
            for _ in range(per_source)
        ],
        'unsup_weak': [sample(zeros) for _ in range(per_source)]
    }
    quarter = crop // 4
    boxes = [(quarter, quarter, crop - quarter, crop - quarter),
             (0, 0, 0, 0)]
    for branch in strong_branches:
        inputs[branch] = [image() for _ in range(per_source)]
        samples[branch] = [
            sample(zeros, cutmix_box=boxes[i % 2]) for i in range(per_source)
        ]
    return dict(inputs=inputs, data_samples=samples)


class HostReads:
    """Counts, inside a ``with`` block, the tensor calls that make a CUDA
    host wait for the device: reading a value back (``item``, ``tolist``,
    ``bool(t)``...), or sizing an output by the data (``nonzero``,
    ``unique``, ``bincount``, boolean-mask indexing).

    On CPU nothing waits, so the calls themselves are counted, split by who
    made them: ``ours`` lists ``'name file:line'`` of the calls made by
    sar_mm's code, ``upstream`` counts the others (torch's own Python code,
    mmengine, mmseg, mmpretrain).
    """

    METHODS = ('item', 'tolist', 'numpy', 'cpu', 'nonzero', 'unique',
               'bincount', 'masked_select', '__bool__', '__int__',
               '__float__', '__index__')
    FUNCTIONS = ('nonzero', 'argwhere', 'unique', 'bincount',
                 'masked_select')

    def __init__(self):
        self.ours, self.upstream = [], Counter()
        self._stack = ExitStack()

    def _record(self, name):
        frame = sys._getframe(2)  # the caller of the patched function
        if frame.f_code.co_filename.startswith(SAR_MM):
            self.ours.append(f'{name} {frame.f_code.co_filename[len(SAR_MM):]}'
                             f':{frame.f_lineno}')
        else:
            self.upstream[name] += 1

    def _counting(self, name, original, counts=lambda *a, **k: True):

        def wrapper(*args, **kwargs):
            if counts(*args, **kwargs):
                self._record(name)
            return original(*args, **kwargs)

        return wrapper

    @staticmethod
    def _bool_mask(tensor, index, *args):
        indices = index if isinstance(index, tuple) else (index, )
        return any(
            isinstance(i, torch.Tensor) and i.dtype == torch.bool
            for i in indices)

    def __enter__(self):
        patches = [(torch.Tensor, name, getattr(torch.Tensor, name))
                   for name in self.METHODS]
        patches += [(torch, name, getattr(torch, name))
                    for name in self.FUNCTIONS]
        for owner, name, original in patches:
            self._stack.enter_context(
                mock.patch.object(owner, name,
                                  self._counting(name, original)))
        self._stack.enter_context(
            mock.patch.object(
                torch.Tensor, '__getitem__',
                self._counting('bool-mask indexing',
                               torch.Tensor.__getitem__, self._bool_mask)))
        self._stack.enter_context(
            mock.patch.object(
                torch, 'where',
                self._counting('torch.where(condition)', torch.where,
                               lambda *args, **kwargs: len(args) +
                               len(kwargs) == 1)))
        return self

    def __exit__(self, *exc):
        self._stack.close()
