"""Class pixels of the label maps of a segmentation dataset, read from disk
as its ``LoadAnnotations`` reads them (``reduce_zero_label`` and
``label_map`` applied, no augmentation). ``class_stats.py`` sums them into
class statistics, ``make_splits.py`` uses them to give every class a
labelled sample."""
from collections import Counter
from typing import List, Optional, Tuple

import numpy as np
from mmseg.registry import TRANSFORMS

from ..datasets.mask_check import check_masks, mask_datasets
from ..utils.class_stats import ClassStats


def find_load_annotations(dataset_cfg: dict) -> dict:
    """The ``LoadAnnotations`` step of a dataset's pipeline, looking
    through dataset wrappers; mmseg's default when there is none."""
    stack = [dataset_cfg]
    while stack:
        cfg = stack.pop()
        for step in cfg.get('pipeline', []):
            if step.get('type') in ('LoadAnnotations',
                                    'mmseg.LoadAnnotations'):
                return dict(step)
        stack.extend(d for d in [cfg.get('dataset')] if d)
        stack.extend(cfg.get('datasets', []))
    return dict(type='LoadAnnotations')


def count_label_maps(data_infos: List[dict], dataset_cfg: dict,
                     num_classes: int, ignore_index: int,
                     nproc: int = 1,
                     where: str = 'the dataset'
                     ) -> List[Tuple[np.ndarray, dict]]:
    """Class pixels and stray values of every mask, read in ``nproc``
    processes by :func:`~sar_mm.datasets.mask_check.check_masks`, which
    refuses masks that cannot be counted (colour images, another size than
    their image).

    Args:
        data_infos (list[dict]): The samples (``get_data_info``).
        dataset_cfg (dict): The dataset's config, for its
            ``LoadAnnotations`` settings.
        num_classes (int): Number of classes.
        ignore_index (int): The label value that is no class.
        nproc (int): Worker processes. Defaults to 1.
        where (str): The dataset, for the error message.
            Defaults to 'the dataset'.

    Returns:
        list[tuple]: Per sample, its class pixel counts and stray values.
    """
    load_annotations = TRANSFORMS.build(find_load_annotations(dataset_cfg))
    reports = check_masks(data_infos, load_annotations, num_classes,
                          ignore_index, where, nproc, allow_stray=True)
    return [(r.counts, r.stray) for r in reports]


def dataset_class_stats(dataset,
                        dataset_cfg: dict,
                        nproc: int = 1,
                        where: str = 'the dataset',
                        **stats_args) -> Tuple[ClassStats, int]:
    """The class statistics of a built dataset's label maps, counted by
    :func:`count_label_maps`: pixels and images per class, and the stray
    values (neither a class nor the ignore index), which are not counted.

    Args:
        dataset: The built dataset.
        dataset_cfg (dict): Its config, for its ``LoadAnnotations``.
        nproc (int): Worker processes. Defaults to 1.
        where (str): The dataset, for the error message.
            Defaults to 'the dataset'.
        **stats_args: More fields of :meth:`ClassStats.from_counts`
            (``group_rule``, ``group_bounds``, ``source``).

    Returns:
        tuple[ClassStats, int]: The statistics, and the number of label
        maps holding stray values.
    """
    classes = dataset.metainfo['classes']
    ignore_index = getattr(dataset, 'ignore_index', 255)
    data_infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    results = count_label_maps(data_infos, dataset_cfg, len(classes),
                               ignore_index, nproc, where)
    out_of_range = Counter()
    for _, stray in results:
        out_of_range.update(stray)
    stats = ClassStats.from_counts(
        classes=classes,
        pixel_counts=sum(counts for counts, _ in results),
        image_counts=sum((counts > 0).astype(np.int64)
                         for counts, _ in results),
        num_images=len(data_infos),
        ignore_index=ignore_index,
        reduce_zero_label=bool(data_infos[0].get(
            'reduce_zero_label',
            getattr(dataset, 'reduce_zero_label', False))),
        out_of_range=dict(out_of_range),
        **stats_args)
    return stats, sum(1 for _, stray in results if stray)


def labelled_pixel_counts(dataset) -> Optional[List[int]]:
    """Class pixels of the labelled part of a built segmentation training
    set: every dataset under it whose pipeline loads masks
    (:func:`~sar_mm.datasets.mask_check.mask_datasets`: not the unlabelled
    members of a semi-supervised set), read with its own
    ``LoadAnnotations``; None where none loads masks (a classification
    dataset)."""
    members = list(mask_datasets(dataset, 'train_dataloader.dataset'))
    if not members:
        return None
    num_classes = len(members[0][1].metainfo['classes'])
    total = np.zeros(num_classes, dtype=np.int64)
    for _, member, load in members:
        reports = check_masks(
            [member.get_data_info(i) for i in range(len(member))],
            load,
            num_classes,
            getattr(member, 'ignore_index', 255),
            where=f'the training set ({type(member).__name__})',
            allow_stray=True)
        total += sum(r.counts for r in reports)
    return total.tolist()
