"""Per-class pixel statistics of a segmentation dataset.

Reads the label maps of one split straight from disk, the way the dataset's
``LoadAnnotations`` does (``reduce_zero_label`` and ``label_map`` applied,
no augmentation), in worker processes, and writes the class-statistics
file that ``LongTailPixelSampler``, ``ClassBalancedCrossEntropyLoss`` and
``LTIoUMetric`` read (format: ``sar_mm/utils/class_stats.py``)::

    python tools/analysis_tools/class_stats.py CONFIG --out stats.json \\
        [--split train] [--plot stats.png] [--group-bounds 0.5 0.9]

Of a semi-supervised config it counts the labelled split only (the
unlabelled images have no masks), and says so. It prints the classes from
the most to the least frequent with their head /
medium / tail group, marking (and warning about) the classes without a
pixel. The masks are read through the start-of-run check of training
(:mod:`sar_mm.datasets.mask_check`): a colour mask, or one of another size
than its image, stops it with one line. Label values that are neither a
class nor the ignore index are reported and left out of the counts.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Tuple

import numpy as np
from mmengine.config import Config, DictAction
from mmseg.registry import DATASETS
from prettytable import PrettyTable

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.analysis.label_counts import dataset_class_stats  # noqa: E402
from sar_mm.engine.launch import (check_datasets, load_config,  # noqa: E402
                                  run_cli)
from sar_mm.utils import ClassStats, UserInputError  # noqa: E402
from sar_mm.utils.class_stats import (STRATIFIED_FIX,  # noqa: E402
                                      unlabelled_classes)
from sar_mm.utils.class_groups import (  # noqa: E402
    GROUP_NAMES, SPLIT_RULES, check_group_split, group_of_classes,
    head_to_tail)


def build_parser():
    parser = argparse.ArgumentParser(
        description='Per-class pixel statistics of a segmentation dataset')
    parser.add_argument('config', help='config file of the dataset')
    parser.add_argument(
        '--out', required=True, help='where to write the statistics (JSON)')
    parser.add_argument(
        '--split',
        default='train',
        choices=['train', 'val', 'test'],
        help='the dataloader whose dataset is read (default: train)')
    parser.add_argument(
        '--plot', help='also save a bar plot of the class frequencies')
    parser.add_argument(
        '--group-rule',
        default='class_share',
        choices=list(SPLIT_RULES),
        help='how classes sorted by frequency are split into head, medium '
        'and tail: by their cumulative share of the classes (default) or '
        'of the pixels; see sar_mm.utils.split_groups')
    parser.add_argument(
        '--group-bounds',
        type=float,
        nargs=2,
        metavar=('HEAD', 'MEDIUM'),
        help='cumulative shares that end the head and the medium group '
        '(default: 1/3 2/3 for class_share, 0.5 0.9 for pixel_share)')
    parser.add_argument(
        '--nproc',
        type=int,
        default=min(8,
                    os.cpu_count() or 1),
        help='worker processes (default: CPU count, at most 8)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser


def labelled_part(dataset_cfg: dict, split: str) -> Tuple[dict, str]:
    """The dataset whose masks are counted: of a semi-supervised
    ``ConcatDataset``, its labelled :class:`SemiSplitDataset` parts (the
    unlabelled images have no mask), said on the console; and its split
    files ('' for a dataset that is not semi-supervised)."""
    parts = dataset_cfg.get('datasets', [])
    semi = [d for d in parts if d.get('type') == 'SemiSplitDataset']
    if not semi:
        return dataset_cfg, ''
    labelled = [d for d in semi if d.get('labelled', True)]
    files = ', '.join(d.get('split_file', '?') for d in labelled)
    print(f'semi-supervised {split} set: counting its labelled split only '
          f'({files}); the unlabelled images have no masks.')
    if len(labelled) == 1:
        return labelled[0], files
    return dict(dataset_cfg, datasets=labelled), files


def collect(cfg: Config, config_path: str, split: str, nproc: int,
            group_rule: str, group_bounds):
    loader_name = f'{split}_dataloader'
    if not cfg.get(loader_name):
        raise UserInputError(
            f'the config has no {loader_name}; choose another --split.')
    # missing data_root, empty dataset or missing label files: one line
    check_datasets(Config({loader_name: cfg[loader_name]}))
    dataset_cfg, split_files = labelled_part(cfg[loader_name]['dataset'],
                                             split)
    dataset = DATASETS.build(dataset_cfg)
    print(f'Reading {len(dataset)} label maps of the {split} split '
          f'({type(dataset).__name__}) with {nproc} process(es)')
    stats, stray_maps = dataset_class_stats(
        dataset,
        dataset_cfg,
        nproc,
        f'{loader_name}.dataset',
        group_rule=group_rule,
        group_bounds=group_bounds,
        source=dict(
            config=config_path,
            split=split,
            dataset=type(dataset).__name__,
            data_root=dataset_cfg.get('data_root')))
    if sum(stats.pixel_counts) == 0:
        raise UserInputError(
            f'no pixel of the {split} split has a class label (all are '
            f'ignore_index={stats.ignore_index} or out of range); check '
            f'reduce_zero_label and the label files.')
    if stats.out_of_range:
        print(f'WARNING: label value(s) {sorted(stats.out_of_range)} '
              f'({sum(stats.out_of_range.values())} pixels in {stray_maps} '
              f'images) are neither a class in [0, {len(stats.classes)}) nor '
              f'ignore_index={stats.ignore_index}; they are not counted. '
              f'Check num_classes, reduce_zero_label or label_map of the '
              f'dataset.')
    missing = unlabelled_classes(stats.pixel_counts, stats.classes)
    if missing and split_files:
        print(f'WARNING: class(es) {missing} have no pixel in the labelled '
              f'split ({split_files}): training learns them from no label '
              f'(marked "unlabelled" below). To label every class, '
              f'{STRATIFIED_FIX}.')
    elif missing:
        print(f'WARNING: class(es) {missing} occur in no label map of the '
              f'{split} split (marked "unlabelled" below).')
    return stats


def print_table(stats: ClassStats) -> None:
    table = PrettyTable()
    order = head_to_tail(stats.groups)
    group_of = group_of_classes(stats.groups)
    freqs = np.asarray(stats.frequencies)
    table.add_column('Class', [stats.classes[c] for c in order])
    # a class without a pixel is in no group a model can learn it in
    table.add_column('Group', [
        group_of[c] if stats.pixel_counts[c] else f'{group_of[c]}, unlabelled'
        for c in order
    ])
    table.add_column('Pixels', [stats.pixel_counts[c] for c in order])
    table.add_column('Freq (%)', [f'{freqs[c] * 100:.3g}' for c in order])
    table.add_column('Cum. (%)',
                     [f'{v * 100:.4g}' for v in np.cumsum(freqs[order])])
    table.add_column('Images', [stats.image_counts[c] for c in order])
    table.align['Class'] = 'l'
    print(table.get_string())
    sizes = ', '.join(f'{g} {len(stats.groups[g])}' for g in GROUP_NAMES)
    bounds = ', '.join(f'{b:.3g}' for b in stats.group_bounds)
    print(f'groups ({stats.group_rule} bounds {bounds}): {sizes} classes')


def plot(stats: ClassStats, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from sar_mm.analysis.plots import log_bars
    order = head_to_tail(stats.groups)
    group_of = group_of_classes(stats.groups)
    colours = dict(head='tab:blue', medium='tab:orange', tail='tab:red')
    width = max(6.0, 0.25 * len(order))
    fig, ax = plt.subplots(figsize=(width, 4))
    log_bars(
        ax, range(len(order)), [stats.frequencies[c] * 100 for c in order],
        color=[colours[group_of[c]] for c in order])
    ax.set_ylabel('pixel frequency (%)')
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels([stats.classes[c] for c in order],
                       rotation=90,
                       fontsize=8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[g]) for g in colours]
    ax.legend(handles, list(colours), title='group')
    ax.set_title(f'{stats.source.get("dataset", "")} '
                 f'{stats.source.get("split", "")}: classes, head to tail')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    args = build_parser().parse_args()
    if args.nproc < 1:
        raise UserInputError(f'--nproc must be >= 1, got {args.nproc}')
    cfg = load_config(args.config, args.cfg_options)
    if cfg.default_scope != 'mmseg':
        raise UserInputError(
            f'class_stats.py counts the pixels of segmentation label maps, '
            f'for mmseg configs; {args.config} has default_scope='
            f'{cfg.default_scope!r}. A classification dataset of sar_mm '
            f"carries its per-class image counts in its metainfo "
            f"('class_counts'), which LTAccuracy and the analysis tools "
            f'read: there is nothing to count for it.')
    check_group_split(args.group_rule, args.group_bounds)
    stats = collect(cfg, args.config, args.split, args.nproc, args.group_rule,
                    args.group_bounds)
    print_table(stats)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    stats.dump(args.out)
    print(f'class statistics written to {args.out}')
    if args.plot:
        plot(stats, args.plot)
        print(f'plot written to {args.plot}')


if __name__ == '__main__':
    run_cli(main)
