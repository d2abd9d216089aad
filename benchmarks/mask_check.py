"""What the start-of-run mask check costs: seconds per 1,000 masks on
ADE20K-sized fake data, and on the built-in LTDigitScenes.

The check (:func:`sar_mm.datasets.mask_check.check_masks`, run by
``DataCheckHook`` before the first iteration) reads each mask's and
image's PNG / JPEG header, decodes the mask as ``LoadAnnotations`` does and
counts its values. The fake dataset is ADE20K's shape: 512x683 JPEG images,
uint8 PNG masks of 150 classes plus 0 (``reduce_zero_label``) in blocky
regions, as real masks are (which is what PNG compresses and decodes
fast). Each worker count is timed on the same files, after one untimed
pass that warms the page cache (a run reads its data from cache too, once
the dataloaders have touched it; a cold disk adds its read time).

Usage::

    python benchmarks/mask_check.py          # 300 masks, 1 and 2 workers
    python benchmarks/mask_check.py --num 1000 --nproc 1 2 4 8
"""
import argparse
import os
import os.path as osp
import platform
import sys
import tempfile
import time

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmseg.datasets.transforms import LoadAnnotations  # noqa: E402
from mmseg.registry import DATASETS  # noqa: E402

from benchmarks.common import write_report  # noqa: E402
from sar_mm.datasets.mask_check import (check_dataset_masks,  # noqa: E402
                                        check_masks)

ADE = dict(height=512, width=683, classes=150)
DEMO = osp.join(REPO, 'configs/demo/fcn_lt-digit-scenes.py')


def fake_ade(root: str, num: int, seed: int = 0) -> list:
    """``num`` image / mask pairs of ADE20K's size in ``root``: masks of
    random class regions on a 16x21 grid, smoothed into blobs."""
    rng = np.random.default_rng(seed)
    h, w = ADE['height'], ADE['width']
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    infos = []
    for i in range(num):
        grid = rng.integers(0, ADE['classes'] + 1, (16, 21), dtype=np.uint8)
        mask = cv2.resize(grid, (w, h), interpolation=cv2.INTER_NEAREST)
        img_path = osp.join(root, f'{i:05d}.jpg')
        seg_map_path = osp.join(root, f'{i:05d}.png')
        cv2.imwrite(img_path, image)
        cv2.imwrite(seg_map_path, mask)
        infos.append(
            dict(img_path=img_path, seg_map_path=seg_map_path,
                 reduce_zero_label=True, seg_fields=[]))
    return infos


def time_check(infos: list, nproc: int) -> float:
    start = time.perf_counter()
    check_masks(infos, LoadAnnotations(reduce_zero_label=True),
                ADE['classes'], nproc=nproc)
    return time.perf_counter() - start


def time_demo() -> tuple:
    """Seconds to check the demo config's train and val masks, and how
    many there are."""
    cfg = Config.fromfile(DEMO)
    seconds, masks = 0.0, 0
    with DefaultScope.overwrite_default_scope('mmseg'):
        for split in ('train', 'val'):
            # built (and generated, once) outside the timer
            dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
            masks += len(dataset)
            start = time.perf_counter()
            check_dataset_masks(dataset, f'{split}_dataloader.dataset')
            seconds += time.perf_counter() - start
    return seconds, masks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=300,
                        help='fake ADE20K-sized masks (default: 300)')
    parser.add_argument('--nproc', type=int, nargs='+', default=[1, 2],
                        help='worker counts to time (default: 1 2)')
    parser.add_argument('--out', default=osp.join(REPO, 'benchmarks',
                                                  'results', 'mask_check'),
                        help='report path without extension')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        infos = fake_ade(root, args.num)
        time_check(infos, 1)  # page cache
        seconds = {n: time_check(infos, n) for n in args.nproc}
    demo_seconds, demo_masks = time_demo()
    rows = '\n'.join(
        f'| {n} | {s:.2f} s | {s / args.num * 1000:.1f} s | '
        f'{s / args.num * 22210 / 60:.1f} min |' for n, s in seconds.items())
    report = (
        f'# Start-of-run mask check\n\n'
        f'`python benchmarks/mask_check.py --num {args.num} --nproc '
        f'{" ".join(map(str, args.nproc))}` on {os.cpu_count()} CPU cores '
        f'({platform.processor() or platform.machine()}), page cache warm, '
        f'load average {os.getloadavg()[0]:.1f} at the end (other jobs '
        f'share the cores when it is above 0).\n\n'
        f'## ADE20K-sized fake data ({ADE["height"]}x{ADE["width"]} JPEG '
        f'images, PNG masks of {ADE["classes"]} classes)\n\n'
        f'| workers | {args.num} masks | per 1,000 masks | all of ADE20K '
        f'(22,210 masks) |\n|---|---|---|---|\n{rows}\n\n'
        f'## Built-in LTDigitScenes (demo config, train + val)\n\n'
        f'{demo_masks} masks of 64x64: {demo_seconds:.2f} s in one process '
        f'(generation not counted).\n')
    write_report(args.out, report, dict(
        num=args.num, seconds=seconds, demo_seconds=demo_seconds,
        demo_masks=demo_masks, cpu_count=os.cpu_count()))


if __name__ == '__main__':
    main()
