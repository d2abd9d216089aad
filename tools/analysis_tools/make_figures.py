"""Regenerate the analysis figures of the docs from the built-in demo.

    python tools/analysis_tools/make_figures.py --out docs/figures \\
        [--readme docs/en/user_guides/analysis.md] \\
        [--work-dir work_dirs/figures] [--no-train]

Trains the baseline and the SAR demo (configs/demo/, a few minutes each on
CPU) into WORK_DIR/baseline and WORK_DIR/sar, or with --no-train reuses
the checkpoints there, then runs every analysis tool on them:

- features.png: t-SNE of the decode features, baseline beside SAR;
- anchors.png: cosine similarities of SAR's anchors and classifier;
- per_class.png: per-class IoU (tools/test.py with the configs'
  LTIoUMetric) against pixel frequency, both runs;
- curves.png: the training curves of both runs;
- geometry.md (+ geometry_{baseline,sar}.json): the feature geometry of
  both side by side, also pasted into --readme between the markers
  ``<!-- geometry-table:start -->`` and ``<!-- geometry-table:end -->``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.analysis.embedding import METHODS  # noqa: E402
from sar_mm.analysis.report import comparison_markdown  # noqa: E402
from sar_mm.engine.launch import run_cli  # noqa: E402
from sar_mm.utils import UserInputError  # noqa: E402

TABLE_START = '<!-- geometry-table:start -->'
TABLE_END = '<!-- geometry-table:end -->'
RUNS = ('baseline', 'sar')
#: The demos validate once, at their last iteration; the figure runs validate
#: more often so that curves.png shows a validation curve, not one point.
VAL_INTERVAL = 500
LABELS = dict(baseline='baseline', sar='SAR')


def build_parser():
    parser = argparse.ArgumentParser(
        description='Train the baseline and SAR demos (or reuse them) and '
        'regenerate the analysis figures and geometry table')
    parser.add_argument(
        '--out', required=True, help='directory of the figures')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/figures',
        help='where the two runs live: WORK_DIR/baseline, WORK_DIR/sar '
        '(default: work_dirs/figures)')
    parser.add_argument(
        '--no-train',
        action='store_true',
        help='reuse the last checkpoints of the work dirs')
    parser.add_argument(
        '--readme',
        help='page (e.g. docs/en/user_guides/analysis.md) to paste the '
        'geometry table into')
    parser.add_argument(
        '--baseline-config',
        default=osp.join(REPO, 'configs/demo/fcn_lt-digit-scenes.py'),
        help='config of the baseline run (default: the demo)')
    parser.add_argument(
        '--sar-config',
        default=osp.join(REPO, 'configs/demo/fcn_lt-digit-scenes_sar.py'),
        help='config of the SAR run (default: the SAR demo)')
    parser.add_argument(
        '--max-images', type=int, help='images analysed (default: all)')
    parser.add_argument(
        '--method',
        choices=METHODS,
        default='tsne',
        help='embedding of the feature plot (default: tsne)')
    parser.add_argument(
        '--device', choices=['cpu', 'cuda'], help='passed to the tools')
    return parser


def run(script, *args):
    """Run a tool of this checkout; its output goes to the console."""
    cmd = [sys.executable, osp.join(REPO, 'tools', script)]
    cmd += [str(a) for a in args if a is not None]
    print('+', ' '.join(cmd), flush=True)
    if subprocess.run(cmd).returncode != 0:
        raise UserInputError(f'{script} failed (command above).')


def last_checkpoint(work_dir: str) -> str:
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        raise UserInputError(
            f'no checkpoint in {work_dir} (no last_checkpoint file); run '
            f'without --no-train to train it.')
    with open(path) as f:
        return f.read().strip()


def newest_metrics_json(test_dir: str) -> str:
    """The metrics JSON of the latest ``tools/test.py --work-dir`` run."""
    found = sorted(glob.glob(osp.join(test_dir, '*', '*.json')))
    if not found:
        raise UserInputError(f'tools/test.py wrote no metrics JSON under '
                             f'{test_dir}.')
    return found[-1]


def miou_markdown(results) -> str:
    """mIoU overall and by group of the runs' test JSONs, as markdown."""
    metrics = []
    for path in results:
        with open(path) as f:
            metrics.append(json.load(f))
    lines = ['| mIoU (%) | ' + ' | '.join(LABELS[n] for n in RUNS) + ' |',
             '| --- | ' + ' | '.join('---:' for _ in RUNS) + ' |']
    for key in ('mIoU', 'mIoU.head', 'mIoU.medium', 'mIoU.tail'):
        values = ' | '.join(f'{m[key]:.2f}' if key in m else '-'
                            for m in metrics)
        lines.append(f'| {key.replace("mIoU.", "&nbsp;&nbsp;")} | {values} |')
    return '\n'.join(lines) + '\n'


def paste_table(readme: str, table: str) -> None:
    with open(readme) as f:
        text = f.read()
    if TABLE_START not in text or TABLE_END not in text:
        raise UserInputError(
            f'{readme} has no {TABLE_START} ... {TABLE_END} markers to '
            f'paste the geometry table between.')
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    with open(readme, 'w') as f:
        f.write(f'{head}{TABLE_START}\n{table}{TABLE_END}{tail}')


def main():
    args = build_parser().parse_args()
    os.makedirs(args.out, exist_ok=True)
    configs = dict(baseline=args.baseline_config, sar=args.sar_config)
    work_dirs = {name: osp.join(args.work_dir, name) for name in RUNS}
    checkpoints = {}
    for name in RUNS:
        if not args.no_train:
            run('train.py', configs[name], '--work-dir', work_dirs[name],
                '--cfg-options', f'train_cfg.val_interval={VAL_INTERVAL}')
        checkpoints[name] = last_checkpoint(work_dirs[name])
    device = ['--device', args.device] if args.device else []
    images = ['--max-images', args.max_images] if args.max_images else []
    reports = {}
    for name in RUNS:
        geo_dir = osp.join(work_dirs[name], 'geometry')
        run('analysis_tools/feature_geometry.py', configs[name],
            checkpoints[name], '--out', geo_dir, '--max-per-class', 1000,
            *images, *device)
        with open(osp.join(geo_dir, 'geometry.json')) as f:
            reports[name] = json.load(f)
        with open(osp.join(args.out, f'geometry_{name}.json'), 'w') as f:
            json.dump(reports[name], f, indent=1)
            f.write('\n')
    run('analysis_tools/plot_features.py', configs['baseline'],
        checkpoints['baseline'], '--compare', configs['sar'],
        checkpoints['sar'], '--labels', 'baseline', 'SAR',
        '--max-per-class', 150, '--method', args.method, '--out',
        osp.join(args.out, 'features.png'),
        *images, *device)
    run('analysis_tools/plot_anchors.py', configs['sar'], checkpoints['sar'],
        '--kind', 'anchors', 'classifier', '--width', 1000, '--height', 460,
        '--out', osp.join(args.out, 'anchors.png'), *device)
    results = []
    for name in RUNS:
        test_dir = osp.join(work_dirs[name], 'test')
        run('test.py', configs[name], checkpoints[name], '--work-dir',
            test_dir)
        results.append(newest_metrics_json(test_dir))
    run('analysis_tools/plot_per_class.py', *results, '--labels',
        'baseline', 'SAR', '--config', configs['baseline'], '--out',
        osp.join(args.out, 'per_class.png'))
    run('analysis_tools/plot_curves.py', *[work_dirs[n] for n in RUNS],
        '--labels', 'baseline', 'SAR', '--smooth', 3, '--out',
        osp.join(args.out, 'curves.png'))

    base = reports['baseline']
    table = comparison_markdown([reports[n] for n in RUNS],
                                [LABELS[n] for n in RUNS])
    table += '\n' + miou_markdown(results)
    note = (f'Feature geometry of the decode features on the '
            f'{base["num_images"]} validation scenes, at most '
            f'{base["source"]["max_per_class"]} pixels per class '
            f'(`tools/analysis_tools/feature_geometry.py`); group rows are '
            f'means over the classes of the group. mIoU: `tools/test.py` '
            f'with the demo\'s `LTIoUMetric`.\n\n')
    with open(osp.join(args.out, 'geometry.md'), 'w') as f:
        f.write(note + table)
    print(note + table)
    if args.readme:
        paste_table(args.readme, note + table)
        print(f'geometry table pasted into {args.readme}')
    print(f'figures written to {args.out}')


if __name__ == '__main__':
    run_cli(main)
