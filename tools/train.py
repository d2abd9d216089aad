"""Train a segmentor (mmseg config) or a classifier (mmpretrain config).

Same command line as mmseg's tools/train.py. On top of it: sar_mm is
imported (registries, compatibility fixes), bad input stops with one line
before any worker starts, and ``--launcher pytorch`` runs on CPU (gloo).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import sar_mm  # noqa: E402,F401  (registers components, applies compat)
from sar_mm.datasets.samplers import \
    check_multi_source_loaders  # noqa: E402
from sar_mm.engine.launch import (add_common_args, add_default_hooks,  # noqa: E402
                                  build_runner, check_datasets, enable_amp,
                                  load_config, parse_args, run_cli)


def build_parser():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        metavar='CHECKPOINT',
        help='resume training: from the latest checkpoint in the work_dir '
        '(--resume alone), or from CHECKPOINT (--resume CHECKPOINT, as '
        "mmpretrain's train.py)")
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    add_common_args(parser)
    return parser


def set_resume(cfg, resume):
    """mmpretrain's ``--resume [CHECKPOINT]``: ``'auto'`` (the flag alone)
    resumes from the latest checkpoint of the work dir, a path from that
    file; either replaces the config's ``load_from``."""
    if resume is None:
        return
    cfg.resume = True
    cfg.load_from = None if resume == 'auto' else resume


def main():
    args = parse_args(build_parser())
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher)
    if args.amp:
        enable_amp(cfg)
    set_resume(cfg, args.resume)
    check_datasets(cfg)
    check_multi_source_loaders(cfg)
    add_default_hooks(cfg, extra=('RNGStateHook', ))
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    run_cli(main)
