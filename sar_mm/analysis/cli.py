"""What the analysis tools share: their common arguments and the loading
of a model, its features and its class vectors from CONFIG CHECKPOINT."""
import argparse
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from torch import Tensor, nn

from ..datasets.mask_check import check_dataset_masks
from ..engine.launch import check_datasets, load_config
from ..utils.errors import UserInputError
from .class_info import ClassInfo, class_info
from .class_vectors import (classifier_head, find_class_vectors,
                            maybe_class_vectors)
from .features import FeatureSet, build_dataloader, extract_features
from .model_loading import load_model


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """``config``, ``checkpoint``, ``--device`` and ``--cfg-options``."""
    parser.add_argument('config', help='config the checkpoint was trained '
                        'with (mmseg or mmpretrain)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='where the model runs (default: cuda if available)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    parser.add_argument(
        '--teacher',
        action='store_true',
        help='of a semi-supervised model, analyse the EMA teacher instead '
        'of the student (the default)')


def add_feature_args(parser: argparse.ArgumentParser,
                     max_per_class: int) -> None:
    """Which data the features come from, and how many."""
    parser.add_argument(
        '--split',
        choices=['val', 'test'],
        default='val',
        help='dataloader the features come from (default: val)')
    parser.add_argument(
        '--max-images',
        type=int,
        help='analyse at most this many images, spread evenly over the '
        'split (default: all)')
    parser.add_argument(
        '--max-per-class',
        type=int,
        default=max_per_class,
        help='features sampled per class: pixels for segmentation, images '
        f'for classification (default: {max_per_class})')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the sampling')
    parser.add_argument(
        '--class-stats',
        help='class statistics file (tools/analysis_tools/class_stats.py) '
        'giving the head / medium / tail groups (default: the one of the '
        "config's LTIoUMetric, else the dataset's class_counts, else the "
        'label counts of the split)')


def add_figure_args(parser: argparse.ArgumentParser, width: int,
                    height: int) -> None:
    """``--out`` (PNG), ``--width`` and ``--height`` (pixels)."""
    parser.add_argument('--out', required=True, help='output PNG file')
    parser.add_argument(
        '--width',
        type=int,
        default=width,
        help=f'figure width in pixels (default: {width})')
    parser.add_argument(
        '--height',
        type=int,
        default=height,
        help=f'figure height in pixels (default: {height})')


def check_figure_args(args: argparse.Namespace) -> None:
    if min(args.width, args.height) < 100:
        raise UserInputError(
            f'--width and --height must be >= 100 pixels, got '
            f'{args.width} x {args.height}')
    if not args.out.lower().endswith('.png'):
        raise UserInputError(f'--out must be a .png file, got {args.out}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)


def run_labels(labels: Optional[Sequence[str]], sources: Sequence[str],
               default: Callable[[str], str]) -> List[str]:
    """``--labels`` of the runs, or ``default(source)`` of each.

    Raises:
        UserInputError: Not one label per run.
    """
    if labels is None:
        return [default(source) for source in sources]
    if len(labels) != len(sources):
        raise UserInputError(
            f'--labels needs {len(sources)} label(s), one per run, got '
            f'{len(labels)}')
    return list(labels)


def config_name(path: str) -> str:
    """A config's file name without extension, e.g. to label a run."""
    return osp.splitext(osp.basename(path))[0]


def check_device(device: str) -> None:
    if device == 'cuda' and not torch.cuda.is_available():
        raise UserInputError(
            '--device cuda, but torch sees no CUDA device; use --device cpu')


@dataclass
class AnalysedModel:
    """A checkpoint loaded for analysis.

    Attributes:
        name (str): Short name (the config's file name).
        cfg (Config): Its config.
        model (nn.Module): The analysed network, in eval mode: the
            config's model, or the student (or EMA teacher) of a
            semi-supervised one.
        meta (dict): The checkpoint's ``meta``.
        whole (nn.Module, optional): The config's model when ``model`` is
            part of it (a semi-supervised model keeps SAR's anchors
            outside its student). Defaults to ``model``.
    """
    name: str
    cfg: Config
    model: nn.Module
    meta: dict
    whole: Optional[nn.Module] = None

    def __post_init__(self) -> None:
        if self.whole is None:
            self.whole = self.model

    @property
    def num_classes(self) -> int:
        return classifier_head(self.model).num_classes

    @property
    def dataset_meta(self) -> dict:
        return getattr(self.model, 'dataset_meta', None) or {}

    def class_vectors(self,
                      kind: Optional[str] = None,
                      key: Optional[str] = None) -> Tuple[Tensor, str]:
        """See :func:`~sar_mm.analysis.class_vectors.find_class_vectors`.
        Anchors, and keys the analysed network lacks (``sar.*``), come
        from the whole model."""
        model = self.model
        if kind == 'anchors' or (key is not None
                                 and key not in model.state_dict()):
            model = self.whole
        return find_class_vectors(model, self.num_classes, kind, key)

    def anchors(self) -> Optional[Tuple[Tensor, str]]:
        """SAR's semantic anchors (float32, CPU) and what they are, or None
        for a model without them."""
        found = maybe_class_vectors(self.whole, 'anchors')
        if found is None:
            return None
        return found[0].detach().float().cpu(), found[1]

    def class_info(self,
                   split: str = 'val',
                   features: Optional[FeatureSet] = None,
                   stats_file: Optional[str] = None) -> ClassInfo:
        """Names, frequencies and groups of the model's classes."""
        return class_info(
            self.cfg, self.num_classes, self.dataset_meta, split,
            None if features is None else features.label_counts, stats_file)

    def features(self, args: argparse.Namespace) -> FeatureSet:
        """Features on the split named by :func:`add_feature_args`'s
        arguments."""
        check_datasets(self.cfg)
        loader = build_dataloader(self.cfg, args.split, args.max_images)
        # the masks the features are labelled with: as training checks them
        check_dataset_masks(loader.dataset, f'{args.split}_dataloader.dataset',
                            allow_stray=True)
        if not self.dataset_meta:
            self.model.dataset_meta = dict(loader.dataset.metainfo)
        return extract_features(self.model, loader, args.max_per_class,
                                args.seed)


def analysed_part(model: nn.Module, teacher: bool, config: str) -> nn.Module:
    """The network to analyse: a semi-supervised model's student (its
    prediction), or its EMA teacher on request; any other model itself.

    Raises:
        UserInputError: ``teacher`` of a model without an EMA teacher.
    """
    student = getattr(model, 'student', None)
    if not teacher:
        return model if student is None else student
    if getattr(model, 'teacher', None) is None:
        fix = ('set model.semi_train_cfg.ema_teacher=True to train one, or '
               'drop --teacher to analyse the student') if student is not \
            None else 'drop --teacher'
        raise UserInputError(
            f'--teacher: the model of {config} ({type(model).__name__}) has '
            f'no EMA teacher; {fix}.')
    return model.teacher


def load_analysed_model(config: str,
                        checkpoint: str,
                        device: str = 'cpu',
                        cfg_options: Optional[dict] = None,
                        teacher: bool = False) -> AnalysedModel:
    """Read ``config`` and load ``checkpoint`` into its model.

    Args:
        config (str): The config the checkpoint was trained with.
        checkpoint (str): The checkpoint.
        device (str): Where the model runs. Defaults to ``'cpu'``.
        cfg_options (dict, optional): ``--cfg-options``.
        teacher (bool): Of a semi-supervised model, analyse the EMA teacher
            rather than the student. Defaults to False.

    Raises:
        UserInputError: Missing config, unsupported scope, missing, unsafe
            or mismatched checkpoint, no CUDA for ``device='cuda'``, or no
            teacher to analyse.
    """
    check_device(device)
    cfg = load_config(config, cfg_options)
    model, meta = load_model(cfg, checkpoint, device)
    part = analysed_part(model, teacher, config)
    part.dataset_meta = getattr(model, 'dataset_meta', None)
    return AnalysedModel(config_name(config), cfg, part, meta, whole=model)
