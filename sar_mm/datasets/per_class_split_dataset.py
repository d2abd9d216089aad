from typing import List, Optional, Union

import numpy as np
from mmengine.dataset import ConcatDataset
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..utils.errors import UserInputError
from .long_tail import long_tailed_counts

PARTS = ('labelled', 'unlabelled')


@DATASETS.register_module()
class PerClassSplitDataset(BaseDataset):
    """The labelled or the unlabelled part of a semi-supervised split of any
    mmpretrain dataset, deterministic.

    Per class, the images of the wrapped dataset are shuffled once
    (``np.random.RandomState(seed)``, classes in order); the first
    ``n_l[c]`` are labelled, the next ``n_u[c]`` unlabelled. Both parts
    come from the same draw, so two ``PerClassSplitDataset`` with the same
    arguments but ``part`` are disjoint (unless
    ``unlabelled_includes_labelled``) and identical on every machine and
    rank.

    - Balanced (FixMatch's protocol): ``n_l[c] = labelled_per_class``, e.g.
      4 for CIFAR-10 with 40 labels; the rest of each class is unlabelled.
    - Long-tailed (the DARP / ABC protocol, Kim et al., NeurIPS 2020;
      Lee et al., NeurIPS 2021): ``n_l[c] = floor(N_max * gamma_l **
      (-c / (C - 1)))`` and ``n_u[c] = floor(M_max * gamma_u ** (-c / (C -
      1)))`` with ``N_max = labelled_per_class``, ``M_max =
      unlabelled_per_class`` and the two imbalance ratios (class 0 is the
      head).

    The wrapped dataset only supplies the samples; this dataset's own
    ``pipeline`` transforms them. Both parts carry the *labelled* per-class
    counts in their metainfo as ``class_counts`` (the training counts the
    heads, losses and ``LTAccuracy`` read), so their metainfo is equal and
    they concatenate in one ``ConcatDataset``.

    Args:
        dataset (dict | BaseDataset): The full training set, with labels.
        part (str): ``'labelled'`` or ``'unlabelled'``.
        labelled_per_class (int): Labelled images per class, or of the head
            class when ``labelled_imbalance_ratio > 1``.
        labelled_imbalance_ratio (float): Head/tail ratio of the labelled
            counts. Defaults to 1 (balanced).
        unlabelled_per_class (int, optional): Unlabelled images per class
            (of the head class when ``unlabelled_imbalance_ratio > 1``).
            Defaults to None: every image of the class that is not labelled.
        unlabelled_imbalance_ratio (float): Head/tail ratio of the
            unlabelled counts; needs ``unlabelled_per_class``. Defaults to 1.
        unlabelled_includes_labelled (bool): Draw the unlabelled images from
            the whole class, labelled ones included, as FixMatch's reference
            does (its unlabelled set is the whole training set). Defaults to
            False.
        seed (int): Seed of the per-class shuffle. Defaults to 0.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``lazy_init``...).
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 part: str,
                 labelled_per_class: int,
                 labelled_imbalance_ratio: float = 1,
                 unlabelled_per_class: Optional[int] = None,
                 unlabelled_imbalance_ratio: float = 1,
                 unlabelled_includes_labelled: bool = False,
                 seed: int = 0,
                 **kwargs):
        if part not in PARTS:
            raise UserInputError(
                f"PerClassSplitDataset part must be 'labelled' or "
                f"'unlabelled', got {part!r}")
        for name, value in (('labelled_per_class', labelled_per_class),
                            ('unlabelled_per_class', unlabelled_per_class)):
            if value is not None and (not isinstance(value, int)
                                      or value < 1):
                raise UserInputError(
                    f'PerClassSplitDataset {name} must be a positive integer, '
                    f'got {value!r}')
        if unlabelled_per_class is None and unlabelled_imbalance_ratio != 1:
            raise UserInputError(
                f'PerClassSplitDataset unlabelled_imbalance_ratio='
                f'{unlabelled_imbalance_ratio} needs unlabelled_per_class '
                f'(the head class\'s unlabelled count)')
        self.dataset = dataset if isinstance(
            dataset, BaseDataset) else DATASETS.build(dataset)
        self.part = part
        self.seed = seed
        self.unlabelled_includes_labelled = unlabelled_includes_labelled
        num_classes = len(self.dataset.metainfo.get('classes') or ())
        self.labelled_counts = long_tailed_counts(
            labelled_per_class, num_classes, labelled_imbalance_ratio)
        self.unlabelled_counts = None if unlabelled_per_class is None else \
            long_tailed_counts(unlabelled_per_class, num_classes,
                               unlabelled_imbalance_ratio)
        metainfo = dict(
            self.dataset.metainfo, class_counts=list(self.labelled_counts))
        kwargs.setdefault('ann_file', '')
        super().__init__(metainfo=metainfo, **kwargs)

    def split_indices(self) -> List[int]:
        """Indices into the wrapped dataset of this part, ascending."""
        labels = np.asarray(self.dataset.get_gt_labels(), dtype=np.int64)
        rng = np.random.RandomState(self.seed)
        kept = []
        for c, n_l in enumerate(self.labelled_counts):
            idx = rng.permutation(np.flatnonzero(labels == c))
            start = 0 if self.unlabelled_includes_labelled else n_l
            n_u = len(idx) - start if self.unlabelled_counts is None \
                else self.unlabelled_counts[c]
            if n_l > len(idx) or start + n_u > len(idx):
                name = self.metainfo['classes'][c]
                asked = f'{n_l} labelled' + (
                    '' if self.unlabelled_counts is None else
                    f' and {n_u} unlabelled')
                raise UserInputError(
                    f'class {c} ({name!r}) of {type(self.dataset).__name__} '
                    f'has {len(idx)} images, fewer than the {asked} the '
                    f'semi-supervised split asks for; lower '
                    f'labelled_per_class / unlabelled_per_class')
            kept.append(idx[:n_l] if self.part == 'labelled' else
                        idx[start:start + n_u])
        return sorted(np.concatenate(kept).tolist())

    def load_data_list(self) -> List[dict]:
        return [self.dataset.get_data_info(i) for i in self.split_indices()]

    def extra_repr(self) -> List[str]:
        return [
            f'Part: \t{self.part}',
            f'Labelled counts: \t{self.labelled_counts}',
            f'Wrapped dataset: \t{type(self.dataset).__name__}',
        ]


@DATASETS.register_module()
class PerClassSplitConcatDataset(ConcatDataset):
    """Both parts of one :class:`PerClassSplitDataset` split, labelled first:
    the training set of semi-supervised configs, for
    ``MultiSourceSampler``.

    The wrapped dataset is built once and shared by the two parts, and the
    split arguments are keys of this dataset, so a config changes the split
    in one line, e.g. ``train_dataloader = dict(dataset=dict(
    labelled_per_class=25))``.

    Args:
        dataset (dict | BaseDataset): The full training set, with labels.
        labelled_pipeline (list[dict]): Pipeline of the labelled part.
        unlabelled_pipeline (list[dict]): Pipeline of the unlabelled part.
        lazy_init (bool): Defer loading, as ``ConcatDataset``.
            Defaults to False.
        **split: The arguments of :class:`PerClassSplitDataset` other than
            ``dataset``, ``part`` and ``pipeline`` (``labelled_per_class``,
            ``unlabelled_per_class``, the imbalance ratios, ``seed``...).
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 labelled_pipeline: list,
                 unlabelled_pipeline: list,
                 lazy_init: bool = False,
                 **split):
        if not isinstance(dataset, BaseDataset):
            dataset = DATASETS.build(dataset)
        super().__init__([
            PerClassSplitDataset(
                dataset, part, pipeline=pipeline, lazy_init=lazy_init,
                **split)
            for part, pipeline in zip(PARTS, (labelled_pipeline,
                                              unlabelled_pipeline))
        ], lazy_init=lazy_init)
