"""Per-class IoU (or accuracy) against class frequency, head to tail.

    python tools/analysis_tools/plot_per_class.py RESULT.json [RESULT2.json]
        --out per_class.png (--config CONFIG | --class-stats FILE)
        [--labels baseline SAR] [--metric IoU.]

RESULT files are what LTIoUMetric / LTAccuracy wrote: the JSON of
``tools/test.py --work-dir`` or a run's ``vis_data/scalars.json`` (its last
validation); a work dir of ``tools/train.py`` stands for its newest
``scalars.json``. Class names, training frequencies and head / medium / tail
groups come from a class-statistics file or from the config (its
LTIoUMetric's stats file, or its dataset's class_counts).
"""
import argparse
import copy
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from mmengine.registry import DATASETS  # noqa: E402

from sar_mm.analysis.class_info import ClassInfo, class_info  # noqa: E402
from sar_mm.analysis.cli import (  # noqa: E402
    add_figure_args, check_figure_args, config_name, run_labels)
from sar_mm.analysis.plots import plot_per_class  # noqa: E402
from sar_mm.analysis.results import (  # noqa: E402
    PER_CLASS_PREFIXES, read_per_class)
from sar_mm.engine.launch import (  # noqa: E402
    check_datasets, load_config, run_cli)
from sar_mm.utils import ClassStats, UserInputError  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description='Per-class IoU or accuracy of one or several result '
        'files against class frequency, classes head to tail')
    parser.add_argument(
        'results',
        nargs='+',
        help='metrics JSON files (or scalars.json, or work dirs of '
        'tools/train.py)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        '--config', help='config giving class names, frequencies, groups')
    source.add_argument(
        '--class-stats', help='class statistics file (class_stats.py)')
    parser.add_argument(
        '--labels', nargs='+', help='legend labels (default: file names)')
    parser.add_argument(
        '--metric',
        choices=list(PER_CLASS_PREFIXES),
        help='per-class key prefix (default: the first the files have, in '
        'the order ' + ', '.join(PER_CLASS_PREFIXES) + ')')
    parser.add_argument(
        '--split',
        choices=['val', 'test'],
        default='val',
        help='with --config: the split whose evaluator and dataset give '
        'the classes (default: val)')
    add_figure_args(parser, width=900, height=500)
    return parser


def info_from_config(path: str, split: str) -> ClassInfo:
    cfg = load_config(path)
    check_datasets(cfg)
    loader = cfg.get(f'{split}_dataloader') or {}
    if 'dataset' not in loader:
        raise UserInputError(f'{path} has no {split}_dataloader.')
    meta = DATASETS.build(copy.deepcopy(loader['dataset'])).metainfo
    return class_info(cfg, len(meta['classes']), meta, split)


def main():
    args = build_parser().parse_args()
    check_figure_args(args)
    labels = run_labels(args.labels, args.results, config_name)
    info = ClassInfo.from_stats(ClassStats.load(
        args.class_stats)) if args.class_stats else info_from_config(
            args.config, args.split)
    series, prefix = [], args.metric
    for path, label in zip(args.results, labels):
        prefix, values = read_per_class(path, info.names, prefix)
        series.append((label, values))
    metric = PER_CLASS_PREFIXES[prefix]
    plot_per_class(series, info, f'{metric} (%)', args.out, args.width,
                   args.height)
    print(f'per-class {metric} of {len(series)} run(s) written to '
          f'{args.out}')


if __name__ == '__main__':
    run_cli(main)
