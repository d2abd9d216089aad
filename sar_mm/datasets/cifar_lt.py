import pickle
from typing import List, Optional

import numpy as np
from mmengine.fileio import exists, get, join_path
from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.registry import DATASETS

from ..utils.errors import UserInputError
from .long_tail import long_tailed_counts, subsample_long_tailed


@DATASETS.register_module()
class CIFAR10LT(CIFAR10):
    """Long-tailed CIFAR-10 (CIFAR-10-LT) of the LDAM-DRW protocol.

    Cao et al., "Learning Imbalanced Datasets with Label-Distribution-Aware
    Margin Loss", NeurIPS 2019; the same generator ships with BCL (Zhu et
    al., CVPR 2022, ``dataset/cifar.py`` of
    github.com/FlamieZhu/Balanced-Contrastive-Learning). The train split
    keeps ``n_c = floor(n_max * imbalance_ratio ** (-c / (C - 1)))`` images
    of class ``c``, the first ones after a per-class shuffle seeded with
    ``seed`` (:func:`subsample_long_tailed`); the test split is the usual
    balanced CIFAR test set. With the defaults, CIFAR-10-LT has 12,406 /
    13,996 / 20,431 training images at ratios 100 / 50 / 10, CIFAR-100-LT
    10,847 / 12,608 / 19,573.

    Both splits carry the long-tailed training counts in their metainfo as
    ``class_counts``, where heads, losses and metrics read them from.

    The data is read from the python version of CIFAR, as extracted from
    ``cifar-10-python.tar.gz``: ``data_root/cifar-10-batches-py/`` holding
    ``data_batch_1`` .. ``data_batch_5``, ``test_batch`` and
    ``batches.meta``. Nothing is downloaded; missing files stop with one
    error that names the expected layout.

    Args:
        data_root (str): Folder that holds ``cifar-10-batches-py``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        imbalance_ratio (float): Head/tail ratio of the train split, at
            least 1 (100, 50 and 10 in the literature). Defaults to 100.
        n_max (int, optional): Training images of class 0. Defaults to the
            full class size (5,000 for CIFAR-10, 500 for CIFAR-100).
        seed (int): Seed of the per-class shuffle. Defaults to 0, the
            LDAM-DRW value.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.CIFAR10`
            (``pipeline``, ``test_mode``, ``indices``...), except
            ``download``.
    """

    full_class_size = 5000
    expected_files = ('data_batch_1', '...', 'data_batch_5', 'test_batch',
                      'batches.meta')

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 imbalance_ratio: float = 100,
                 n_max: Optional[int] = None,
                 seed: int = 0,
                 **kwargs):
        num_classes = len(self.METAINFO['classes'])
        self.n_max = self.full_class_size if n_max is None else n_max
        self.imbalance_ratio = imbalance_ratio
        self.seed = seed
        # Computed first, so that a bad ratio fails before any file is read.
        class_counts = long_tailed_counts(self.n_max, num_classes,
                                          imbalance_ratio)
        super().__init__(
            data_root=data_root, split=split, download=False, **kwargs)
        self._metainfo['class_counts'] = class_counts

    def _split_files(self) -> List[str]:
        root = self.data_prefix['root']
        files = self.train_list if self.split == 'train' else self.test_list
        paths = [join_path(root, self.base_folder, name) for name, _ in files]
        missing = [path for path in paths if not exists(path)]
        if missing:
            layout = join_path(root, self.base_folder,
                               '{' + ', '.join(self.expected_files) + '}')
            raise UserInputError(
                f'{type(self).__name__}: {missing[0]} not found. Expected '
                f'the python version of the dataset, extracted from '
                f'{self.filename} ({self.url}): {layout}. See '
                f'docs/en/user_guides/dataset_prepare.md, "Preparing '
                f'datasets".')
        return paths

    def load_data_list(self) -> List[dict]:
        images, labels = [], []
        for path in self._split_files():
            try:
                entry = pickle.loads(get(path), encoding='latin1')
                images.append(entry['data'])
                labels.extend(entry.get('labels', entry.get('fine_labels')))
            except Exception as err:
                raise UserInputError(
                    f'{path} is not a CIFAR python batch ({err!r}); '
                    f'extract {self.filename} again.') from err
        images = np.vstack(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = np.asarray(labels, dtype=np.int64)
        if self.split == 'train':
            keep = subsample_long_tailed(labels,
                                         len(self.metainfo['classes']),
                                         self.imbalance_ratio, self.n_max,
                                         self.seed)
            images, labels = images[keep], labels[keep]
        return [
            dict(img=img, gt_label=int(label))
            for img, label in zip(images, labels)
        ]

    def extra_repr(self) -> List[str]:
        return super().extra_repr() + [
            f'Split: \t{self.split}',
            f'Imbalance ratio: \t{self.imbalance_ratio}',
            f"Train class counts: \t{self.metainfo['class_counts']}",
        ]


@DATASETS.register_module()
class CIFAR100LT(CIFAR10LT, CIFAR100):
    """Long-tailed CIFAR-100 (CIFAR-100-LT), see :class:`CIFAR10LT`.

    Reads ``data_root/cifar-100-python/{train, test, meta}``, as extracted
    from ``cifar-100-python.tar.gz``; the head class keeps 500 images.
    """

    full_class_size = 500
    expected_files = ('train', 'test', 'meta')
