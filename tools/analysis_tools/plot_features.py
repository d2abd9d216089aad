"""2-D map of a checkpoint's pre-classifier features, coloured by class.

    python tools/analysis_tools/plot_features.py CONFIG CHECKPOINT \\
        --out features.png [--compare CONFIG2 CHECKPOINT2] \\
        [--labels baseline SAR] [--method tsne|pca] [--max-per-class 200]

Features are sampled as in feature_geometry.py (per class, capped) and
embedded with t-SNE (scikit-learn; --method pca is faster and linear).
Marker shapes mark the head / medium / tail groups, the rarest group drawn
largest and on top; SAR's semantic anchors are overlaid as stars. With
--compare, a second checkpoint is shown beside the first (e.g. baseline
vs SAR), sampled from the same images with the same seed.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.analysis.cli import (  # noqa: E402
    add_feature_args, add_figure_args, add_model_args, check_figure_args,
    config_name, load_analysed_model, run_labels)
from sar_mm.analysis.embedding import METHODS, embed_2d  # noqa: E402
from sar_mm.analysis.plots import plot_embeddings  # noqa: E402
from sar_mm.engine.launch import run_cli  # noqa: E402
from sar_mm.utils import UserInputError  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description='t-SNE / PCA plot of the pre-classifier features of one '
        'checkpoint, or two side by side')
    add_model_args(parser)
    parser.add_argument(
        '--compare',
        nargs=2,
        metavar=('CONFIG', 'CHECKPOINT'),
        help='a second checkpoint, plotted beside the first')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='panel titles (default: the config names)')
    parser.add_argument(
        '--method',
        choices=METHODS,
        default='tsne',
        help='t-SNE (default) or PCA (faster)')
    parser.add_argument(
        '--no-anchors',
        action='store_true',
        help="do not overlay SAR's semantic anchors")
    add_feature_args(parser, max_per_class=200)
    add_figure_args(parser, width=1000, height=560)
    return parser


def panel(analysed, args, title):
    """Embed one checkpoint's features (and anchors)."""
    features = analysed.features(args)
    found = None if args.no_anchors else analysed.anchors()
    anchors = None if found is None else found[0]
    print(f'{title}: embedding {len(features.labels)} features with '
          f'{args.method.upper()}...', flush=True)
    xy, anchors_xy = embed_2d(
        features.features.numpy(),
        None if anchors is None else anchors.numpy(), args.method,
        args.seed)
    return (title, xy, features.labels.numpy(), anchors_xy), features


def main():
    args = build_parser().parse_args()
    check_figure_args(args)
    pairs = [(args.config, args.checkpoint)]
    if args.compare:
        pairs.append(tuple(args.compare))
    labels = run_labels(args.labels, [config for config, _ in pairs],
                        config_name)
    panels, info = [], None
    for (config, checkpoint), label in zip(pairs, labels):
        analysed = load_analysed_model(config, checkpoint, args.device,
                                       args.cfg_options, args.teacher)
        if info is not None and analysed.num_classes != info.num_classes:
            raise UserInputError(
                f'{config} has {analysed.num_classes} classes, '
                f'{pairs[0][0]} has {info.num_classes}: --compare needs '
                f'models of the same classes.')
        result, features = panel(analysed, args,
                                 f'{label} ({args.method.upper()})')
        info = info or analysed.class_info(args.split, features,
                                           args.class_stats)
        panels.append(result)
    plot_embeddings(panels, info, args.out, args.width, args.height)
    print(f'feature plot written to {args.out}')


if __name__ == '__main__':
    run_cli(main)
