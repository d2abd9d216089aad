import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.fileio import exists, get_text, join_path
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..utils.errors import UserInputError


@DATASETS.register_module()
class LTImageList(BaseDataset):
    """A long-tailed dataset given by split files of ``<path> <label>`` lines.

    The format of ImageNet-LT and Places-LT (Liu et al., "Large-Scale
    Long-Tailed Recognition in an Open World", CVPR 2019) and of the
    iNaturalist 2018 lists of Kang et al. ("Decoupling Representation and
    Classifier for Long-Tailed Recognition", ICLR 2020), e.g.::

        train/n01440764/n01440764_10026.JPEG 0

    Image paths are relative to ``data_prefix`` (``data_root`` by default),
    split files relative to ``data_root``. Both splits carry the per-class
    image counts of the *training* split file in their metainfo as
    ``class_counts``, where heads, losses and metrics read them from.

    Args:
        data_root (str): Root folder of the split files (and, by default,
            of the images).
        split (str): ``'train'``, ``'val'`` or ``'test'``.
            Defaults to ``'train'``.
        ann_file (str, optional): Split file of ``split``. Defaults to
            ``split_file.format(split=split)``.
        train_ann_file (str, optional): Training split file, which defines
            ``class_counts``. Defaults to ``split_file.format(split='train')``.
        split_file (str): Pattern of the split file names. Defaults to
            ``'{split}.txt'``.
        num_classes (int, optional): Number of classes, when no class names
            are given (``classes=...`` or the class ``METAINFO``); classes
            are then named ``'0'``, ``'1'``...
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``data_prefix``, ``pipeline``, ``classes``, ``indices``...).

    Raises:
        UserInputError: For a missing split file (naming the expected
            layout), a malformed line or a label outside the classes (naming
            file and line), or a class without training images.
    """

    split_file = '{split}.txt'
    splits = ('train', 'val', 'test')

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 ann_file: Optional[str] = None,
                 train_ann_file: Optional[str] = None,
                 split_file: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 **kwargs):
        if split not in self.splits:
            raise UserInputError(
                f'{type(self).__name__}: split must be one of {self.splits}, '
                f'got {split!r}')
        self.split = split
        self.split_file = split_file or self.split_file
        if 'classes' not in kwargs and num_classes is not None \
                and self.METAINFO.get('classes') is None:
            kwargs['classes'] = tuple(str(c) for c in range(num_classes))
        self.train_ann_file = train_ann_file or self.split_file.format(
            split='train')
        super().__init__(
            ann_file=ann_file or self.split_file.format(split=split),
            data_root=data_root,
            **kwargs)

    def _resolve(self, path: str) -> str:
        if osp.isabs(path) or not self.data_root:
            return path
        return join_path(self.data_root, path)

    def _read_split(self, path: str) -> Tuple[List[str], np.ndarray]:
        """Image paths and labels of a split file, checked line by line."""
        if not exists(path):
            names = ', '.join(
                self.split_file.format(split=s) for s in self.splits)
            raise UserInputError(
                f'{type(self).__name__}: split file {path} not found. '
                f'Expected {self.data_root or "."}/{{{names}}} next to the '
                f'image folders the lines point into. See '
                f'docs/en/user_guides/dataset_prepare.md, "Preparing '
                f'datasets".')
        num_classes = len(self.metainfo.get('classes') or ())
        if not num_classes:
            raise UserInputError(
                f'{type(self).__name__} needs the classes: pass '
                f'num_classes=... or classes=[...]')
        paths, labels = [], []
        for line_no, line in enumerate(get_text(path).splitlines(), 1):
            if not line.strip():
                continue
            fields = line.rsplit(maxsplit=1)
            label = fields[1] if len(fields) == 2 else ''
            if not label.lstrip('-').isdigit():
                raise UserInputError(
                    f'{path}, line {line_no}: expected "<image path> '
                    f'<label>", got {line.strip()!r}')
            if not 0 <= int(label) < num_classes:
                raise UserInputError(
                    f'{path}, line {line_no}: label {label} is outside the '
                    f'{num_classes} classes [0, {num_classes - 1}]')
            paths.append(fields[0])
            labels.append(int(label))
        return paths, np.asarray(labels, dtype=np.int64)

    def _class_counts(self, train_labels: np.ndarray,
                      train_file: str) -> List[int]:
        counts = np.bincount(
            train_labels, minlength=len(self.metainfo['classes']))
        empty = np.flatnonzero(counts == 0).tolist()
        if empty:
            raise UserInputError(
                f'{train_file} leaves {len(empty)} class(es) without a '
                f'training image (e.g. {empty[:10]}); every class needs at '
                f'least one.')
        return counts.tolist()

    def load_data_list(self) -> List[dict]:
        paths, labels = self._read_split(self.ann_file)
        train_file = self._resolve(self.train_ann_file)
        if train_file != self.ann_file:
            train_labels = self._read_split(train_file)[1]
        else:
            train_labels = labels
        self._metainfo['class_counts'] = self._class_counts(
            train_labels, train_file)
        prefix = self.img_prefix
        return [
            dict(img_path=join_path(prefix, path), gt_label=int(label))
            for path, label in zip(paths, labels)
        ]

    def extra_repr(self) -> Sequence[str]:
        counts = self.metainfo.get('class_counts') or [0]
        return [
            f'Split: \t{self.split}',
            f'Annotation file: \t{self.ann_file}',
            f'Train images per class: \t{min(counts)} to {max(counts)}',
        ]
