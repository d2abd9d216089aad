"""Cosine-similarity heatmap of a checkpoint's class vectors.

    python tools/analysis_tools/plot_anchors.py CONFIG CHECKPOINT \\
        --out anchors.png [--kind anchors classifier] [--key NAME]

Kinds (sar_mm/analysis/class_vectors.py): ``anchors``, SAR's semantic
anchors (a non-SAR model has none, and says so); ``classifier``, the
linear classifier's weights (conv_seg / fc). --key names any C x D tensor
of the state dict instead (e.g. prototypes). Several kinds or keys give
panels side by side. Classes are ordered head to tail, group boundaries
drawn.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.analysis.class_vectors import CLASS_VECTOR_FINDERS  # noqa: E402
from sar_mm.analysis.cli import (  # noqa: E402
    add_figure_args, add_model_args, check_figure_args, load_analysed_model)
from sar_mm.analysis.plots import plot_similarities  # noqa: E402
from sar_mm.engine.launch import run_cli  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description='Cosine-similarity heatmap of SAR semantic anchors, '
        'classifier weights or other class vectors')
    add_model_args(parser)
    parser.add_argument(
        '--kind',
        nargs='+',
        choices=list(CLASS_VECTOR_FINDERS),
        default=[],
        help='class vectors to show, one panel each (default: anchors '
        'unless --key is given)')
    parser.add_argument(
        '--key',
        nargs='+',
        default=[],
        help='state-dict names of C x D tensors to show (instead of, or '
        'with --kind, after the kinds)')
    parser.add_argument(
        '--class-stats',
        help='class statistics file giving the head / medium / tail order '
        "(default: the one of the config's LTIoUMetric)")
    add_figure_args(parser, width=700, height=600)
    return parser


def main():
    args = build_parser().parse_args()
    check_figure_args(args)
    analysed = load_analysed_model(args.config, args.checkpoint, args.device,
                                   args.cfg_options, args.teacher)
    kinds = args.kind or ([] if args.key else ['anchors'])
    panels = [analysed.class_vectors(kind=kind)[::-1] for kind in kinds]
    panels += [analysed.class_vectors(key=key)[::-1] for key in args.key]
    info = analysed.class_info(stats_file=args.class_stats)
    plot_similarities(panels, info, args.out, args.width, args.height)
    print(f'{", ".join(title for title, _ in panels)}: heatmap written to '
          f'{args.out}')


if __name__ == '__main__':
    run_cli(main)
