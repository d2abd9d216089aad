"""The real handwritten digits that scikit-learn ships, split once.

scikit-learn's ``load_digits`` holds 1,797 8x8 grey-level digits written by
43 people (UCI "Optical Recognition of Handwritten Digits"). Every built-in
dataset of the toolkit is made from this one deterministic split, so the
digits a model is evaluated on were never seen in training.
"""
from functools import lru_cache
from typing import NamedTuple, Tuple

import numpy as np

NUM_DIGIT_CLASSES = 10
DIGIT_NAMES = tuple(str(d) for d in range(NUM_DIGIT_CLASSES))


class DigitSplit(NamedTuple):
    """Images as uint8 in [0, 255], shape (N, 8, 8), and int64 labels."""
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


@lru_cache(maxsize=4)
def load_digit_split(test_per_class: int = 50, seed: int = 0) -> DigitSplit:
    """Split the digits into a train pool and a balanced held-out test set.

    Args:
        test_per_class (int): Digits of each class held out for testing.
            Every class has at least 174 samples. Defaults to 50.
        seed (int): Seed of the per-class shuffle. Defaults to 0.
    """
    from sklearn.datasets import load_digits
    digits = load_digits()
    # pixel values are stroke counts in 0..16
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    labels = digits.target.astype(np.int64)
    rng = np.random.RandomState(seed)
    train_idx, test_idx = [], []
    for c in range(NUM_DIGIT_CLASSES):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if len(idx) <= test_per_class:
            raise ValueError(f'test_per_class={test_per_class} leaves no '
                             f'training digit of class {c} ({len(idx)} total)')
        test_idx.append(idx[:test_per_class])
        train_idx.append(idx[test_per_class:])
    train_idx, test_idx = np.concatenate(train_idx), np.concatenate(test_idx)
    return DigitSplit(images[train_idx], labels[train_idx], images[test_idx],
                      labels[test_idx])


def upscale(image: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Bilinear upscaling of a grey digit to ``size`` = (h, w)."""
    import cv2
    return cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
