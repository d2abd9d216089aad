"""Test (and evaluate) a checkpoint of an mmseg or mmpretrain config.

Same command line as mmseg's tools/test.py. A missing, corrupt or unsafe
checkpoint, or one whose weights do not fit the config's model, stops with
one line naming the file; checkpoints are loaded weights-only (see
sar_mm/compat/checkpoint.py).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import ConfigDict  # noqa: E402

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.engine.launch import (add_common_args, add_default_hooks,  # noqa: E402
                                  build_runner, check_datasets, load_config,
                                  parse_args, run_cli)
from sar_mm.utils import UserInputError  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='if specified, the evaluation metric results will be dumped '
        'into the directory as json')
    parser.add_argument(
        '--out',
        type=str,
        help='the directory to save output predictions for offline '
        'evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='save the prediction painted on every test image, one picture '
        'per image: under SHOW_DIR/vis_data/vis_image/ for segmentation, '
        'in SHOW_DIR/ for classification')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true', help='Test time augmentation')
    add_common_args(parser)
    return parser


def enable_visualization(cfg, args):
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise UserInputError(
            '--show/--show-dir need a visualization hook in default_hooks, '
            "e.g. visualization=dict(type='SegVisualizationHook').")
    hook = hooks['visualization']
    # upstream draws every 50th (mmseg) or 5000th (mmpretrain) image only
    hook['interval'] = 1
    if cfg.default_scope == 'mmseg':
        hook['draw'] = True
        if args.show_dir:
            cfg.visualizer['save_dir'] = args.show_dir
            where = osp.join(args.show_dir, 'vis_data', 'vis_image')
    else:
        hook['enable'] = True
        if args.show_dir:
            hook['out_dir'] = where = args.show_dir
    if args.show_dir:
        print(f'--show-dir: one picture per test image goes to {where}')
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time


def enable_tta(cfg):
    missing = [k for k in ('tta_model', 'tta_pipeline') if k not in cfg]
    if missing:
        raise UserInputError(
            f'--tta needs {" and ".join(missing)} in the config (see the '
            f"upstream config of this model's dataset for an example).")
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)


def set_output_dir(cfg, out_dir):
    if cfg.default_scope == 'mmseg':
        cfg.test_evaluator['output_dir'] = out_dir
        cfg.test_evaluator['keep_results'] = True
    else:
        # mmpretrain has no output_dir option: dump the predictions
        evaluators = cfg.test_evaluator
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(
                type='DumpResults',
                out_file_path=osp.join(out_dir, 'predictions.pkl'))
        ]


def main():
    args = parse_args(build_parser())
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher)
    if not osp.isfile(osp.expanduser(args.checkpoint)):
        raise UserInputError(f'checkpoint file not found: {args.checkpoint}')
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        enable_tta(cfg)
    if args.out is not None:
        set_output_dir(cfg, args.out)
    check_datasets(cfg)
    add_default_hooks(cfg, extra=('CheckpointFitHook', ))
    runner = build_runner(cfg)
    runner.test()


if __name__ == '__main__':
    run_cli(main)
