"""Training curves of one or several runs.

    python tools/analysis_tools/plot_curves.py WORK_DIR [WORK_DIR2 ...] \\
        --out curves.png [--labels baseline SAR] [--keys 'loss*' 'mIoU*']
        [--smooth 5]

Reads each run's ``<timestamp>/vis_data/scalars.json`` (the newest; a
scalars.json path works too) and plots, one panel each: the losses
(``loss``, ``decode.loss_ce``, ``loss_sar_anchor``, ``loss_sar_pull``...),
SAR's ``sar_anchor_acc`` and ``sar_gate_open``, the learning rate, and the
validation metrics (per-class ones left out unless asked for with --keys).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.analysis.cli import (  # noqa: E402
    add_figure_args, check_figure_args, run_labels)
from sar_mm.analysis.plots import curve_panels, plot_curves  # noqa: E402
from sar_mm.analysis.results import read_scalars  # noqa: E402
from sar_mm.engine.launch import run_cli  # noqa: E402
from sar_mm.utils import UserInputError  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description='Training curves (losses, SAR, lr, validation) of one '
        'or several work dirs')
    parser.add_argument(
        'work_dirs', nargs='+', help='work dirs or scalars.json files')
    parser.add_argument(
        '--labels', nargs='+', help='run labels (default: dir names)')
    parser.add_argument(
        '--keys',
        nargs='+',
        help="keys to plot, as shell patterns (e.g. 'loss_sar_*' "
        "'mIoU*'; default: losses, sar_*, lr and validation metrics)")
    parser.add_argument(
        '--smooth',
        type=int,
        default=1,
        help='moving-average window over the logged training points '
        '(default: 1, none)')
    add_figure_args(parser, width=1000, height=700)
    return parser


def main():
    args = build_parser().parse_args()
    check_figure_args(args)
    if args.smooth < 1:
        raise UserInputError(f'--smooth must be >= 1, got {args.smooth}')
    labels = run_labels(args.labels, args.work_dirs,
                        lambda path: osp.basename(osp.normpath(path)))
    runs = [(label, read_scalars(path))
            for label, path in zip(labels, args.work_dirs)]
    if not curve_panels(runs, args.keys):
        raise UserInputError(
            'nothing to plot: no key of the scalars matches '
            + (' '.join(args.keys) if args.keys else
               'the default losses, sar_*, lr or validation metrics'))
    keys = plot_curves(runs, args.out, args.width, args.height, args.keys,
                       args.smooth)
    print(f'{len(keys)} curve(s) of {len(runs)} run(s) written to '
          f'{args.out}')


if __name__ == '__main__':
    run_cli(main)
