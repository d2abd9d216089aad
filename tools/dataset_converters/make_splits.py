"""Write UniMatch-style labelled / unlabelled split files of a dataset.

    python tools/dataset_converters/make_splits.py CONFIG --out SPLITS_DIR \\
        (--fraction F [F ...] | --count N [N ...]) [--seed 0] \\
        [--stratified] [--split train] [--force]

The samples are those of the config's ``<split>_dataloader`` dataset (of a
semi-supervised config: the dataset its splits are of). Each size gets a
folder under ``SPLITS_DIR`` holding ``labeled.txt`` and ``unlabeled.txt``,
one ``<image> <mask>`` line per sample relative to the dataset's
``data_root`` (the files :class:`~sar_mm.datasets.SemiSplitDataset`
reads): ``1_8/`` for ``--fraction 0.125``, ``92/`` for ``--count 92``, as
UniMatch names them. The labelled samples are drawn in one order seeded by
``--seed``, so the splits of one seed are nested (the 1/16 split inside the
1/8 one), whether written in one call or in several. ``--stratified``
first gives every class that occurs in the dataset a labelled sample (the
long-tail case: a random 1/16 may miss the rare classes altogether).

The masks are read (through the same check as at the start of training:
colour masks are refused) in every case: a split that labels no sample of
a class present in the dataset is written with a warning naming the
classes. The draw stays uniform by default, as UniMatch's published
splits are, so that results stay comparable with them.
"""
import argparse
import os.path as osp
import sys
from fractions import Fraction

import numpy as np
from mmengine.config import Config, DictAction
from mmseg.registry import DATASETS

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.analysis.label_counts import count_label_maps  # noqa: E402
from sar_mm.datasets.split_files import (  # noqa: E402
    LABELLED_FILE, UNLABELLED_FILE, covering_samples, labelled_count,
    nested_labelled, split_line, write_split_pair)
from sar_mm.engine.launch import check_datasets, load_config, run_cli  # noqa: E402,E501
from sar_mm.utils import UserInputError  # noqa: E402
from sar_mm.utils.class_stats import (STRATIFIED_FIX,  # noqa: E402
                                      unlabelled_classes)


def build_parser():
    parser = argparse.ArgumentParser(
        description='Write labelled / unlabelled split files (UniMatch '
        'format) of the dataset of a config')
    parser.add_argument('config', help='config file of the dataset')
    parser.add_argument(
        '--out',
        required=True,
        help='folder of the splits, e.g. data/my_set/splits; each size '
        'gets a sub-folder (1_8/, 92/)')
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument(
        '--fraction',
        type=float,
        nargs='+',
        help='labelled share(s) of the samples, in (0, 1), e.g. 0.125')
    size.add_argument(
        '--count',
        type=int,
        nargs='+',
        help='number(s) of labelled samples, e.g. 92 183')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the draw (default: 0)')
    parser.add_argument(
        '--stratified',
        action='store_true',
        help='give every class of the dataset at least one labelled sample')
    parser.add_argument(
        '--split',
        default='train',
        choices=['train', 'val', 'test'],
        help='the dataloader whose dataset is split (default: train)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='overwrite split files that exist')
    parser.add_argument(
        '--nproc',
        type=int,
        default=1,
        help='processes reading the masks (default: 1)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser


def source_dataset(dataset_cfg: dict) -> dict:
    """The dataset the splits are of: itself, or under a semi-supervised
    config's ``ConcatDataset`` / ``SemiSplitDataset``, the dataset they
    split (with the pipeline of the labelled part, for its
    ``LoadAnnotations``)."""
    parts = [d for d in dataset_cfg.get('datasets', [])
             if d.get('type') == 'SemiSplitDataset']
    if parts:
        dataset_cfg = next((d for d in parts if d.get('labelled', True)),
                           parts[0])
    if dataset_cfg.get('type') == 'SemiSplitDataset':
        pipeline = dataset_cfg.get('pipeline')
        dataset_cfg = dict(dataset_cfg['dataset'])
        if pipeline:
            dataset_cfg['pipeline'] = pipeline
    return dataset_cfg


def split_sizes(args, num_samples: int) -> dict:
    """``{folder name: labelled count}`` from --fraction or --count."""
    if args.fraction:
        bad = [f for f in args.fraction if not 0 < f < 1]
        if bad:
            raise UserInputError(
                f'--fraction must be in (0, 1) (the labelled share), got '
                f'{bad[0]}; e.g. --fraction 0.125 for 1/8.')
        sizes = {}
        for f in args.fraction:
            share = Fraction(f).limit_denominator(10000)
            name = f'1_{share.denominator}' if share.numerator == 1 \
                and abs(float(share) - f) < 1e-9 else f'{f:g}'
            sizes[name] = labelled_count(num_samples, f)
    else:
        sizes = {str(c): c for c in args.count}
    bad = [c for c in sizes.values() if not 1 <= c < num_samples]
    if bad:
        raise UserInputError(
            f'a split of {bad[0]} labelled samples leaves no unlabelled one '
            f'(or none labelled): the dataset has {num_samples} samples; '
            f'ask for 1 to {num_samples - 1}.')
    return sizes


def class_presence(dataset, data_infos, dataset_cfg, nproc,
                   where) -> np.ndarray:
    """``(num_samples, num_classes)`` bool: whether each sample's mask holds
    a class. The masks are read through the start-of-run check, so colour
    masks and masks of another size than their image are refused."""
    classes = dataset.metainfo['classes']
    results = count_label_maps(data_infos, dataset_cfg, len(classes),
                               getattr(dataset, 'ignore_index', 255), nproc,
                               where)
    present = np.stack([counts > 0 for counts, _ in results])
    absent = unlabelled_classes(present.sum(0), classes)
    if absent:
        print(f'WARNING: class(es) {absent} occur in no label map of the '
              f'dataset; no split can label them.')
    return present


def main():
    args = build_parser().parse_args()
    cfg = load_config(args.config, args.cfg_options)
    if cfg.default_scope != 'mmseg':
        raise UserInputError(
            f'make_splits.py writes split files of segmentation datasets; '
            f'{args.config} is a {cfg.default_scope} config. A '
            f'classification config chooses its labelled images with '
            f"PerClassSplitDataset (labelled_per_class=N).")
    loader_name = f'{args.split}_dataloader'
    if not cfg.get(loader_name):
        raise UserInputError(
            f'the config has no {loader_name}; choose another --split.')
    dataset_cfg = source_dataset(cfg[loader_name]['dataset'])
    check_datasets(Config({loader_name: dict(dataset=dataset_cfg)}))
    dataset = DATASETS.build(dataset_cfg)
    data_infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if not data_infos:  # check_datasets refuses this first, kept for safety
        raise UserInputError(f'the {args.split} dataset is empty.')
    sizes = split_sizes(args, len(data_infos))
    folders = {name: osp.join(args.out, name) for name in sizes}
    existing = [
        osp.join(folder, file) for folder in folders.values()
        for file in (LABELLED_FILE, UNLABELLED_FILE)
        if osp.exists(osp.join(folder, file))
    ]
    if existing and not args.force:
        raise UserInputError(
            f'{existing[0]} exists ({len(existing)} split file(s) would be '
            f'overwritten); pass --force to replace them, or choose another '
            f'--out.')
    order = np.random.default_rng(args.seed).permutation(
        len(data_infos)).tolist()
    present = class_presence(dataset, data_infos, dataset_cfg, args.nproc,
                             f'{loader_name}.dataset')
    must_have = []
    if args.stratified:
        must_have = covering_samples(present, order)
        too_small = min(sizes.values())
        if too_small < len(must_have):
            raise UserInputError(
                f'--stratified needs {len(must_have)} labelled samples to '
                f'hold every class, but a split keeps only {too_small}; '
                f'ask for more, or drop --stratified.')
    labelled = nested_labelled(order, sorted(set(sizes.values())), must_have)
    root = dataset.data_root or ''
    lines = [
        split_line(info['img_path'], info['seg_map_path'], root)
        for info in data_infos
    ]
    classes = dataset.metainfo['classes']
    everywhere = unlabelled_classes(present.sum(0), classes)
    for name, count in sizes.items():
        write_split_pair(folders[name], lines, labelled[count])
        print(f'{folders[name]}: {count} labelled, '
              f'{len(lines) - count} unlabelled (seed {args.seed}'
              f'{", stratified" if args.stratified else ""})')
        missed = [
            c for c in unlabelled_classes(
                present[labelled[count]].sum(0), classes)
            if c not in everywhere
        ]
        if missed:
            print(f'WARNING: {folders[name]} labels no sample of class(es) '
                  f'{missed}: semi-supervised training gets no label of '
                  f'them. To label every class, {STRATIFIED_FIX}.')


if __name__ == '__main__':
    run_cli(main)
