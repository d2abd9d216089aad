"""What the benchmark scripts share: the statistics they report, the device
synchronisation around timed code, and a fake segmentation batch.

Imported by the scripts next to it (``benchmarks/`` is on ``sys.path`` when
one of them runs) and by the tests (``from benchmarks.common import ...``).
"""
import statistics
from typing import Optional, Sequence, Tuple

import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample


def mean_std(values: Sequence[Optional[float]]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value) of the values
    that are not None; NaN for none."""
    values = [v for v in values if v is not None]
    if not values:
        return float('nan'), float('nan')
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), std


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
