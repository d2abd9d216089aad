from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .digits import DIGIT_NAMES, NUM_DIGIT_CLASSES, load_digit_split, upscale
from .long_tail import long_tailed_counts, subsample_long_tailed


@DATASETS.register_module()
class LTDigits(BaseDataset):
    """Long-tailed handwritten digits, built in, no download.

    The real digits scikit-learn ships (see :mod:`sar_mm.datasets.digits`),
    upscaled to ``img_size`` and replicated to 3 channels. The train split
    is a long-tailed subset of the training pool with
    ``n_c = floor(n_max * imbalance_ratio ** (-c / 9))`` images of digit
    ``c`` (digit 0 is the head, digit 9 the tail); the test split is balanced
    (``test_per_class`` images per digit, never seen in training).

    Both splits carry the long-tailed training counts in their metainfo as
    ``class_counts``, which is where heads, losses and metrics read the class
    frequencies from (no hand-copied count lists in configs).

    Args:
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        imbalance_ratio (float): Head/tail ratio of the train split.
            Defaults to 10.
        n_max (int): Train images of the head class (at most 124).
            Defaults to 120.
        img_size (int): Side of the square images. Defaults to 32.
        test_per_class (int): Held-out images per class. Defaults to 50.
        seed (int): Seed of the split and subsampling. Defaults to 0.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``...).
    """

    METAINFO = dict(classes=DIGIT_NAMES)

    #: Built in: the data is made in memory, so the tools do not require a
    #: ``data_root`` (one inherited from, e.g., a CIFAR config is unused).
    generates_data = True

    def __init__(self,
                 split: str = 'train',
                 imbalance_ratio: float = 10,
                 n_max: int = 120,
                 img_size: int = 32,
                 test_per_class: int = 50,
                 seed: int = 0,
                 **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split = split
        self.imbalance_ratio = imbalance_ratio
        self.n_max = n_max
        self.img_size = img_size
        self.test_per_class = test_per_class
        self.seed = seed
        kwargs.setdefault('ann_file', '')
        super().__init__(**kwargs)
        self._metainfo['class_counts'] = long_tailed_counts(
            n_max, NUM_DIGIT_CLASSES, imbalance_ratio)

    def load_data_list(self) -> List[dict]:
        digits = load_digit_split(self.test_per_class, self.seed)
        if self.split == 'train':
            keep = subsample_long_tailed(digits.train_labels,
                                         NUM_DIGIT_CLASSES,
                                         self.imbalance_ratio, self.n_max,
                                         self.seed)
            images, labels = digits.train_images[keep], digits.train_labels[keep]
        else:
            images, labels = digits.test_images, digits.test_labels
        size = (self.img_size, self.img_size)
        return [
            dict(
                img=np.repeat(upscale(img, size)[..., None], 3, axis=2),
                gt_label=int(label)) for img, label in zip(images, labels)
        ]

    def extra_repr(self) -> List[str]:
        return [
            f'Split: \t{self.split}',
            f'Imbalance ratio: \t{self.imbalance_ratio}',
            f"Train class counts: \t{self.metainfo['class_counts']}",
        ]
