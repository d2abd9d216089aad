"""What ``tools/train.py`` and ``tools/test.py`` share.

The tools keep mmseg's command line exactly; this module adds what a user
of the toolkit needs on top: one clear line instead of a traceback for bad
input, checks that run before any worker starts, CPU multi-process runs,
and both mmseg and mmpretrain configs (picked by ``default_scope``).
"""
import argparse
import logging
import os
import os.path as osp
import sys
from typing import Iterator, Optional, Tuple
from urllib.error import URLError

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmengine.registry import DATASETS, init_default_scope
from mmengine.utils import import_modules_from_strings

from ..compat.checkpoint import trust_checkpoint
from ..compat.dist import setup_cpu_distributed
from ..datasets.semi_split_dataset import (check_branch_fields,
                                           check_disjoint_splits)
from ..models.segmentors import check_sar_config
from ..utils.errors import UserInputError

SUPPORTED_SCOPES = ('mmseg', 'mmpretrain')
DATASET_DOCS = ('docs/en/user_guides/dataset_prepare.md, "Preparing '
                'datasets"')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """The arguments mmseg's train.py and test.py both take."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--trust-checkpoint',
        action='append',
        metavar='FILE',
        default=[],
        help='unpickle this checkpoint file in full instead of weights-only '
        '(only for a file you trust: unpickling can run code it carries); '
        'repeatable. SAR_MM_TRUSTED_CHECKPOINTS lists such files too')
    # torch.distributed.launch passes --local-rank, older ones --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line; trust the files of ``--trust-checkpoint``."""
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    for path in args.trust_checkpoint:
        trust_checkpoint(path)
    return args


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """Read a config, apply ``--cfg-options`` and ``--work-dir``, and make
    its scope (mmseg or mmpretrain) the default one.

    A model SAR cannot regularise is refused before the config's
    ``custom_imports`` are imported (they may name packages that are
    missing, such as mmdet for Mask2Former).

    Args:
        config (str): Path of the config file.
        cfg_options (dict, optional): Overrides, as ``--cfg-options``
            parses them.
        work_dir (str, optional): ``--work-dir``; without it the config's,
            else ``./work_dirs/<config name>``.
        launcher (str): ``--launcher``. Defaults to ``'none'``.

    Raises:
        UserInputError: A missing config file, one of another scope, or a
            model SAR cannot regularise.
    """
    if not osp.isfile(config):
        raise UserInputError(f'config file not found: {config}')
    cfg = Config.fromfile(config, import_custom_modules=False)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    check_sar_config(cfg.get('model'))
    import_custom_modules(cfg)
    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    scope = cfg.get('default_scope')
    if scope not in SUPPORTED_SCOPES:
        raise UserInputError(
            f"{config} has default_scope={scope!r}; sar_mm's tools run "
            f'configs of {" and ".join(SUPPORTED_SCOPES)} (inherit their '
            f"default_runtime, e.g. _base_ = ['mmseg::_base_/default_runtime.py']).")
    init_default_scope(scope)
    return cfg


def import_custom_modules(cfg: Config) -> None:
    """Import the config's ``custom_imports`` (after the checks that need
    none of them), with one line for a module that is not installed."""
    custom = cfg.get('custom_imports')
    if not custom:
        return
    try:
        import_modules_from_strings(**custom)
    except ImportError as err:
        # mmengine re-raises "Failed to import X"; the cause says why
        cause = err.__context__ or err
        hint = (" (mmseg's Mask2Former and MaskFormer configs need "
                'MMDetection: pip install mmdet)') if 'mmdet' in str(
                    err) else ''
        raise UserInputError(
            f'the config imports {custom.get("imports")} (custom_imports), '
            f'which fails: {cause}. Install the missing package'
            f'{hint}.') from None


def _dataset_cfgs(cfg: Config) -> Iterator[Tuple[str, dict, bool]]:
    """``(config path, dataset dict, own_files)`` of every dataset of every
    loader, looking through wrappers such as RepeatDataset and
    ConcatDataset. ``own_files`` is False for a config a dataset only
    takes its settings from (SemiSplitDataset's ``dataset``, whose samples
    come from a split file): its data_root matters, its files do not."""
    for loader_name in ('train_dataloader', 'val_dataloader',
                        'test_dataloader'):
        loader = cfg.get(loader_name)
        if not loader or 'dataset' not in loader:
            continue
        stack = [(f'{loader_name}.dataset', loader['dataset'], True)]
        while stack:
            path, ds, own_files = stack.pop()
            if not isinstance(ds, dict):
                continue
            yield path, ds, own_files
            if 'dataset' in ds:
                stack.append(
                    (f'{path}.dataset', ds['dataset'], own_files
                     and not _lists_own_samples(ds.get('type'))))
            for i, sub in enumerate(ds.get('datasets', [])):
                stack.append((f'{path}.datasets.{i}', sub, own_files))


def _dataset_class(type_):
    if not isinstance(type_, str):
        return type_
    with DATASETS.switch_scope_and_registry(None) as registry:
        return registry.get(type_)


def _lists_own_samples(type_) -> bool:
    """Datasets (not wrappers such as ConcatDataset) list their samples,
    even those built on another dataset's config (SemiSplitDataset)."""
    cls = _dataset_class(type_)
    return isinstance(cls, type) and issubclass(cls, BaseDataset)


def _check_data_roots(datasets) -> None:
    """One error naming every missing ``data_root`` at once."""
    missing = [(path, ds) for path, ds, dataset_cls, _ in datasets
               if ds.get('data_root') and '://' not in str(ds['data_root'])
               and not osp.isdir(ds['data_root'])
               and not getattr(dataset_cls, 'generates_data', False)]
    if not missing:
        return
    where = ', '.join(f"'{ds['data_root']}' of {path} ({ds.get('type')})"
                      for path, ds in missing)
    options = ' '.join(f'{path}.data_root=PATH' for path, _ in missing)
    verb = 'does' if len(missing) == 1 else 'do'
    raise UserInputError(
        f'data_root {where} {verb} not exist. Prepare the dataset as '
        f'described in {DATASET_DOCS}, or point the config at it with '
        f'--cfg-options {options}')


def _missing_masks_message(path: str, dataset, data_list: list,
                           missing: list) -> str:
    """Why listed masks are missing: masks listed as images (their names
    end in ``seg_map_suffix``, which ``img_suffix`` matches too, as with
    masks stored beside their images), or masks that are not there."""
    kind = type(dataset).__name__
    seg_suffix = getattr(dataset, 'seg_map_suffix', None)
    img_suffix = getattr(dataset, 'img_suffix', None)
    as_images = [
        info['img_path'] for info in data_list
        if seg_suffix and seg_suffix != img_suffix
        and info['img_path'].endswith(seg_suffix)
    ]
    if as_images:
        return (f'{len(as_images)} mask(s) are listed as images of {path} '
                f'({kind}), e.g. {as_images[0]}: img_suffix={img_suffix!r} '
                f'also matches seg_map_suffix={seg_suffix!r}, so the masks '
                f'are read as images and their own masks ({missing[0]}) are '
                f'looked for. Keep the masks in a folder of their own '
                f'(data_prefix=dict(img_path=..., seg_map_path=...)), or '
                f'give the images a suffix the masks do not end in (e.g. '
                f"img_suffix='_img.png').")
    return (f'{len(missing)} image(s) of {path} ({kind}) have no mask, e.g. '
            f'{missing[:3]}. Add them or remove the images.')


def check_datasets(cfg: Config) -> None:
    """Fail early, with one line, on datasets that cannot work.

    For every dataset of every loader: its ``data_root`` exists (all missing
    ones are named in one error; datasets that make their own data, with a
    ``generates_data`` class attribute such as ``LTDigitScenes`` and
    ``LTDigits``, are exempt), it lists at least one sample, and every
    listed annotation file exists; no image is both in a labelled and an
    unlabelled split. Every data_root is checked first: a dataset built on
    another's config (SemiSplitDataset) builds that one too. This lists the
    samples once more than the Runner will, which costs seconds at most, and
    turns errors that would surface deep in mmengine or in a dataloader
    worker into one line.
    """
    datasets = [(path, ds, _dataset_class(ds.get('type')), own_files)
                for path, ds, own_files in _dataset_cfgs(cfg)]
    _check_data_roots(datasets)
    listed, loaders = [], {}
    for path, ds, dataset_cls, own_files in datasets:
        root = ds.get('data_root')
        if not own_files or not _lists_own_samples(dataset_cls):
            continue  # wrappers: their inner datasets are checked
        with DATASETS.switch_scope_and_registry(None) as registry:
            dataset = registry.build(dict(ds, lazy_init=True))
        data_list = dataset.load_data_list()
        if not data_list:
            raise UserInputError(
                f'{path} ({ds.get("type")}) is empty: no samples under '
                f'data_root={root!r} with data_prefix='
                f'{ds.get("data_prefix")}. Check the paths and the '
                f'img_suffix / seg_map_suffix / ann_file.')
        missing = [
            info['seg_map_path'] for info in data_list
            if info.get('seg_map_path') and '://' not in info['seg_map_path']
            and not osp.isfile(info['seg_map_path'])
        ]
        if missing:
            raise UserInputError(
                _missing_masks_message(path, dataset, data_list, missing))
        listed.append((dataset, data_list))
        loaders.setdefault(path.split('.')[0], []).append(dataset)
    check_disjoint_splits(listed)
    for datasets_of_loader in loaders.values():
        # the samples of one loader collate into one batch
        check_branch_fields(datasets_of_loader)


#: Hooks every run of the tools gets: the data checks, and the training
#: set's class counts (for losses and the metrics' groups).
DEFAULT_HOOKS = ('DataCheckHook', 'ClassCountsHook')


def add_default_hooks(cfg: Config, extra: Tuple[str, ...] = ()) -> None:
    """Add :data:`DEFAULT_HOOKS` and the tool's ``extra`` hooks to a run
    unless the config has them, whatever ``custom_hooks`` it lists
    (training adds the RNG states that make ``--resume`` exact, testing
    the checkpoint-fit check)."""
    hooks = list(cfg.get('custom_hooks', []) or [])
    present = {h.get('type') for h in hooks}
    hooks += [
        dict(type=name) for name in DEFAULT_HOOKS + tuple(extra)
        if name not in present
    ]
    cfg.custom_hooks = hooks


def build_runner(cfg: Config):
    """Set up CPU distribution if needed and build the Runner."""
    setup_cpu_distributed(cfg, cfg.launcher)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)


def enable_amp(cfg: Config) -> None:
    """``--amp``: fp16 ``AmpOptimWrapper`` with dynamic loss scaling on GPU
    (mmseg's behaviour), bf16 :class:`CPUAmpOptimWrapper` without CUDA."""
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper in ('AmpOptimWrapper', 'CPUAmpOptimWrapper'):
        print_log(
            'AMP training is already enabled in your config.',
            logger='current',
            level=logging.WARNING)
        return
    if wrapper != 'OptimWrapper':
        raise UserInputError(
            f'--amp works with optim_wrapper.type=OptimWrapper, but the '
            f'config uses {wrapper}; set AmpOptimWrapper in the config.')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
        cfg.optim_wrapper.dtype = 'bfloat16'


def run_cli(main) -> None:
    """Run a tool's ``main``; a :class:`UserInputError`, or a failed download
    of pretrained weights, becomes one line on stderr and exit status 1.

    The process group is destroyed before the interpreter shuts down: gloo's
    worker threads otherwise outlive it and abort the exit (SIGABRT,
    pytorch/pytorch#179291). A rank of a multi-process run then leaves at
    once, its output flushed, without the interpreter's teardown: even with
    the group destroyed, that teardown still aborted now and then on a
    loaded machine ("terminate called without an active exception"),
    failing a finished run."""
    status = 0
    ranks = 1
    try:
        main()
    except UserInputError as err:
        print(f'ERROR: {err}', file=sys.stderr)
        status = 1
    except URLError as err:
        print(
            f'ERROR: could not download pretrained weights ({err.reason}). '
            f'Download them on a machine with network access and point the '
            f'config at the local file (model.pretrained or '
            f"model.backbone.init_cfg.checkpoint), or set "
            f'model.pretrained=None to train from scratch.',
            file=sys.stderr)
        status = 1
    finally:
        if torch.distributed.is_available() and \
                torch.distributed.is_initialized():
            ranks = torch.distributed.get_world_size()
            torch.distributed.destroy_process_group()
    if ranks > 1:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    if status:
        sys.exit(status)


__all__ = [
    'add_common_args', 'add_default_hooks', 'build_runner',
    'check_datasets', 'enable_amp', 'import_custom_modules', 'load_config',
    'parse_args', 'run_cli'
]
