"""The masks of a segmentation dataset, checked once before anything counts
or learns from them.

A colour (RGB) mask, a mask of another size than its image, or one whose
values are neither a class nor the ignore index otherwise surfaces only in
the batch that draws it (for a val mask: at the first validation, hours
into training), or as wrong class statistics. :func:`check_masks` reads
every mask as the dataset's ``LoadAnnotations`` reads it
(``reduce_zero_label`` and ``label_map`` applied), takes the channels and
both sizes from the file headers (PIL opens lazily), and counts the values
with one ``bincount`` per mask. :class:`~sar_mm.engine.hooks.DataCheckHook`
runs it on every loader at the start of a run; ``class_stats.py``,
``make_splits.py`` and the training set's class counts use its counts.
"""
import functools
import os.path as osp
from dataclasses import dataclass, field
import logging
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.logging import print_log
from mmengine.utils import track_parallel_progress, track_progress
from mmseg.datasets.transforms import LoadAnnotations
from PIL import Image

from ..utils.errors import UserInputError

#: Below this many masks per process a pool costs more than it saves.
MIN_MASKS_PER_PROCESS = 64


@dataclass
class MaskReport:
    """What :func:`read_mask` found in one mask.

    Args:
        path (str): The mask file.
        counts (np.ndarray): Pixels of each class (int64, ``num_classes``).
        stray (dict[int, int]): Label value -> pixels, for values that are
            neither a class nor the ignore index.
        problem (str, optional): Why the mask cannot be used at all (then
            ``counts`` is empty).
    """

    path: str
    counts: np.ndarray
    stray: Dict[int, int] = field(default_factory=dict)
    problem: Optional[str] = None


def _header(path: str):
    """``(mode, (width, height), bands)`` of an image file, from its header;
    None for a remote file or one PIL cannot identify."""
    if '://' in path:
        return None
    try:
        with Image.open(path) as img:
            return img.mode, img.size, len(img.getbands())
    except OSError:
        return None


def _not_single_channel(path: str, shape: tuple, mode: str = '') -> str:
    mode = f' ({mode} image)' if mode else ''
    return (f'the mask {path} has shape {tuple(shape)}{mode}, but a mask '
            f'must be single-channel: one class index per pixel, saved as a '
            f'grayscale or palette PNG, not as an RGB image. Convert the '
            f'masks to class indices.')


def read_mask(data_info: dict, load_annotations, num_classes: int,
              ignore_index: int) -> MaskReport:
    """Check and count one mask.

    Args:
        data_info (dict): The sample (``dataset.get_data_info(i)``), with
            ``seg_map_path`` and ``img_path``.
        load_annotations (callable): The dataset's ``LoadAnnotations``.
        num_classes (int): Number of classes.
        ignore_index (int): The label value that is no class.

    Returns:
        MaskReport: The class pixels and stray values, or the problem.
    """
    path = data_info['seg_map_path']
    empty = np.zeros(0, np.int64)
    header = _header(path)
    if header is not None:
        mode, (width, height), bands = header
        if bands != 1:
            return MaskReport(path, empty,
                              problem=_not_single_channel(
                                  path, (height, width, bands), mode))
        image = _header(data_info.get('img_path', ''))
        if image is not None and image[1] != (width, height):
            return MaskReport(path, empty, problem=(
                f'the mask {path} is {width}x{height} pixels but its image '
                f'{data_info["img_path"]} is {image[1][0]}x{image[1][1]}; '
                f'a mask must have the same size as its image.'))
    try:
        seg = load_annotations(dict(data_info, seg_fields=[]))['gt_seg_map']
    except OSError as err:
        return MaskReport(path, empty, problem=(
            f'the mask {path} cannot be read ({err}); save the masks as '
            f'PNG files.'))
    if seg.ndim != 2:  # a remote file, whose header was not read
        return MaskReport(path, empty,
                          problem=_not_single_channel(path, seg.shape))
    # mmseg's LoadAnnotations gives uint8: a histogram of 256 bins at most
    hist = np.bincount(seg.ravel(), minlength=num_classes).astype(np.int64)
    if 0 <= ignore_index < len(hist):
        hist[ignore_index] = 0
    stray = {int(v): int(hist[v]) for v in np.flatnonzero(hist[num_classes:])
             + num_classes}
    return MaskReport(path, hist[:num_classes], stray)


def read_masks(data_infos: Sequence[dict],
               load_annotations,
               num_classes: int,
               ignore_index: int = 255,
               nproc: int = 1) -> List[MaskReport]:
    """:func:`read_mask` of every sample with a mask, with a progress bar,
    in ``nproc`` processes (fewer where each would get few masks).

    Args:
        data_infos (Sequence[dict]): The samples; those without
            ``seg_map_path`` are skipped.
        load_annotations (callable): The dataset's ``LoadAnnotations``.
        num_classes (int): Number of classes.
        ignore_index (int): The label value that is no class.
            Defaults to 255.
        nproc (int): Processes reading the masks. Defaults to 1.

    Returns:
        list[MaskReport]: One per sample with a mask, in order.
    """
    infos = [info for info in data_infos if info.get('seg_map_path')]
    task = functools.partial(
        read_mask,
        load_annotations=load_annotations,
        num_classes=num_classes,
        ignore_index=ignore_index)
    nproc = min(nproc, len(infos) // MIN_MASKS_PER_PROCESS)
    if nproc > 1:
        return track_parallel_progress(
            task, infos, nproc, chunksize=MIN_MASKS_PER_PROCESS // 4)
    return track_progress(task, infos) if infos else []


def _problem_line(first: MaskReport, num_bad: int, total: int, where: str,
                  num_classes: int, ignore_index: int) -> str:
    """The one line for ``num_bad`` of ``total`` masks: the first bad
    one's problem (or stray values) and its fix, and the count."""
    problem = first.problem or (
        f'the mask {first.path} holds label value(s) '
        f'{sorted(first.stray)[:10]}, which are neither a class in [0, '
        f'{num_classes}) nor the ignore index {ignore_index}. Check '
        f'num_classes, reduce_zero_label or label_map of the dataset.')
    return (f'{problem} ({num_bad} of {total} masks of {where} fail this '
            f'check.)')


def check_masks(data_infos: Sequence[dict],
                load_annotations,
                num_classes: int,
                ignore_index: int = 255,
                where: str = 'the dataset',
                nproc: int = 1,
                allow_stray: bool = False) -> List[MaskReport]:
    """:func:`read_masks`, then one :class:`UserInputError` for unusable
    masks.

    Args:
        data_infos (Sequence[dict]): The samples; those without
            ``seg_map_path`` are skipped.
        load_annotations (callable): The dataset's ``LoadAnnotations``.
        num_classes (int): Number of classes.
        ignore_index (int): The label value that is no class.
            Defaults to 255.
        where (str): The dataset, for the message. Defaults to
            'the dataset'.
        nproc (int): Processes reading the masks. Defaults to 1.
        allow_stray (bool): Whether values that are neither a class nor the
            ignore index are only reported (``MaskReport.stray``) instead of
            refused. Defaults to False.

    Returns:
        list[MaskReport]: One per sample with a mask, in order.

    Raises:
        UserInputError: Naming the first unusable mask, how many there are
            and the fix.
    """
    reports = read_masks(data_infos, load_annotations, num_classes,
                         ignore_index, nproc)
    bad = [r for r in reports if r.problem] or \
        ([] if allow_stray else [r for r in reports if r.stray])
    if bad:
        raise UserInputError(
            _problem_line(bad[0], len(bad), len(reports), where, num_classes,
                          ignore_index))
    return reports


def mask_datasets(dataset, path: str) -> Iterator[Tuple[str, object, object]]:
    """``(config path, dataset, its LoadAnnotations)`` of every dataset
    under ``dataset`` (through ``ConcatDataset``, ``RepeatDataset`` and
    the like) whose pipeline loads masks: not the unlabelled parts of a
    semi-supervised set (``LoadEmptySegMap``), nor classification sets."""
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', [])
    load = next((t for t in transforms if isinstance(t, LoadAnnotations)),
                None)
    if load is not None:
        yield path, dataset, load
        return
    for i, member in enumerate(getattr(dataset, 'datasets', [])):
        yield from mask_datasets(member, f'{path}.datasets.{i}')
    if hasattr(dataset, 'dataset'):
        yield from mask_datasets(dataset.dataset, f'{path}.dataset')


def check_dataset_masks(dataset,
                        path: str,
                        nproc: int = 1,
                        allow_stray: bool = False) -> None:
    """The masks of every dataset of :func:`mask_datasets` under a built
    dataset, read with its ``LoadAnnotations`` and checked against its
    classes and ignore index. In a distributed run each rank reads its
    share (every ``world_size``-th mask) and all stop alike.

    Args:
        dataset: A built dataset (or dataset wrapper).
        path (str): Its config path, for the messages, e.g.
            ``'val_dataloader.dataset'``.
        nproc (int): Processes reading the masks (per rank).
            Defaults to 1.
        allow_stray (bool): Whether values that are neither a class nor the
            ignore index get a warning (evaluation: the IoU metrics leave
            them out) instead of an error. Defaults to False.

    Raises:
        UserInputError: For unusable masks, as :func:`check_masks` says.
    """
    rank, world_size = get_dist_info()
    for where, member, load in mask_datasets(dataset, path):
        num_classes = len(member.metainfo['classes'])
        ignore_index = getattr(member, 'ignore_index', 255)
        print_log(f'checking the masks of {where}', logger='current')
        infos = [(i, member.get_data_info(i))
                 for i in range(rank, len(member), world_size)]
        indices = [i for i, info in infos if info.get('seg_map_path')]
        reports = read_masks([info for _, info in infos], load, num_classes,
                             ignore_index, nproc)
        problems = [(i, r) for i, r in zip(indices, reports) if r.problem]
        strays = [(i, r) for i, r in zip(indices, reports) if r.stray]
        # each rank's first fault of each kind, with the counts: gathered
        # once per dataset, on every rank, so that all stop alike
        shares = all_gather_object((problems[:1], len(problems), strays[:1],
                                    len(strays), len(reports)))
        total = sum(share[4] for share in shares)
        num_problems = sum(share[1] for share in shares)
        num_strays = sum(share[3] for share in shares)
        first_problem = min((p for share in shares for p in share[0]),
                            key=lambda pair: pair[0], default=None)
        first_stray = min((p for share in shares for p in share[2]),
                          key=lambda pair: pair[0], default=None)
        if num_problems or (num_strays and not allow_stray):
            first, count = (first_problem, num_problems) if num_problems \
                else (first_stray, num_strays)
            raise UserInputError(
                _problem_line(first[1], count, total,
                              f'{where} ({type(member).__name__})',
                              num_classes, ignore_index))
        if num_strays:
            first = first_stray[1]
            print_log(
                f'{num_strays} of {total} masks of {where} hold label '
                f'values that are neither a class in [0, {num_classes}) nor '
                f'the ignore index {ignore_index}, e.g. '
                f'{sorted(first.stray)[:10]} in {first.path}; the IoU '
                f'metrics leave them out. Check num_classes, '
                f'reduce_zero_label or label_map of the dataset.',
                logger='current',
                level=logging.WARNING)
