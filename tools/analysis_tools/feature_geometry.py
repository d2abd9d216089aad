"""Feature geometry of a checkpoint: how compact, separated and aligned the
classes are in the representation its classifier reads.

    python tools/analysis_tools/feature_geometry.py CONFIG CHECKPOINT \\
        --out DIR [--max-per-class 1000] [--max-images N] [--device cpu]

Extracts the pre-classifier features on the validation split (pixels
sampled per class, at most --max-per-class each, for segmentation; one
feature per image for classification) and reports, per class, per head /
medium / tail group and overall: compactness (mean cosine to the class
mean), NC1 (within- relative to between-class variance, Papyan et al.
2020), the min and mean angle between centred class means and their
distance to a regular simplex, the alignment of the classifier with the
class means, and for SAR models the cosine and distance of the class means
to the semantic anchors. Definitions: sar_mm/analysis/geometry.py.

Writes DIR/geometry.json and prints the tables.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.analysis import feature_geometry  # noqa: E402
from sar_mm.analysis.cli import (  # noqa: E402
    add_feature_args, add_model_args, load_analysed_model)
from sar_mm.analysis.report import format_table, geometry_report  # noqa: E402
from sar_mm.engine.launch import run_cli  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description='Feature geometry (compactness, NC1, separability, '
        'classifier and anchor alignment) of a segmentation or '
        'classification checkpoint')
    add_model_args(parser)
    parser.add_argument(
        '--out', required=True, help='directory for geometry.json')
    add_feature_args(parser, max_per_class=1000)
    parser.add_argument(
        '--classifier-key',
        help='state-dict name of the C x D classifier weights (default: '
        "conv_seg of the decode head, fc of a classification head)")
    parser.add_argument(
        '--anchors-key',
        help='state-dict name of C x D class anchors in the feature space '
        '(default: the semantic anchors of SAR models, none otherwise)')
    return parser


def main():
    args = build_parser().parse_args()
    analysed = load_analysed_model(args.config, args.checkpoint, args.device,
                                   args.cfg_options, args.teacher)
    classifier, _ = analysed.class_vectors('classifier',
                                           args.classifier_key)
    found = analysed.class_vectors(
        key=args.anchors_key) if args.anchors_key else analysed.anchors()
    anchors = None
    if found is not None:
        anchors, anchors_name = found
        print(f'anchors: {anchors_name}')
    features = analysed.features(args)
    info = analysed.class_info(args.split, features, args.class_stats)
    geometry = feature_geometry(features.features, features.labels,
                                features.num_classes, classifier, anchors)
    report = geometry_report(
        geometry,
        info,
        features,
        config=args.config,
        checkpoint=args.checkpoint,
        split=args.split,
        max_images=args.max_images,
        max_per_class=args.max_per_class,
        seed=args.seed)
    print(format_table(report))
    os.makedirs(args.out, exist_ok=True)
    path = osp.join(args.out, 'geometry.json')
    with open(path, 'w') as f:
        json.dump(report, f, indent=1)
        f.write('\n')
    print(f'geometry written to {path}')


if __name__ == '__main__':
    run_cli(main)
