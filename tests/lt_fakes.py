"""Fake data in the real on-disk formats, small enough to write in a
test's tmp_path: CIFAR's pickled python batches and ImageNet-LT's split
files with a few tiny JPEGs (classification); ADE20K and Cityscapes folders
as mmseg reads them (segmentation).
"""
import pickle
from pathlib import Path

import cv2
import numpy as np


def _cifar_batch(labels, labels_key, rng, random_pixels):
    shape = (len(labels), 3 * 32 * 32)
    data = rng.integers(0, 256, shape, dtype=np.uint8) if random_pixels \
        else np.zeros(shape, dtype=np.uint8)
    return {'data': data, labels_key: [int(x) for x in labels]}


def write_fake_cifar(root, num_classes=10, train_per_class=5000,
                     test_per_class=10, random_pixels=False, seed=0):
    """Write CIFAR-10 (``cifar-10-batches-py``) or CIFAR-100
    (``cifar-100-python``) python batches under ``root``; returns ``root``.
    ``train_per_class`` is one count for all classes or one per class."""
    rng = np.random.default_rng(seed)
    train = rng.permutation(
        np.repeat(np.arange(num_classes),
                  np.broadcast_to(train_per_class, num_classes)))
    test = rng.permutation(np.repeat(np.arange(num_classes), test_per_class))
    names = [f'class_{c}' for c in range(num_classes)]
    if num_classes == 10:
        folder, key = Path(root, 'cifar-10-batches-py'), 'labels'
        files = {f'data_batch_{i + 1}': part
                 for i, part in enumerate(np.array_split(train, 5))}
        files['test_batch'] = test
        meta = ('batches.meta', {'label_names': names})
    else:
        folder, key = Path(root, 'cifar-100-python'), 'fine_labels'
        files = {'train': train, 'test': test}
        meta = ('meta', {'fine_label_names': names})
    folder.mkdir(parents=True, exist_ok=True)
    for name, labels in files.items():
        batch = _cifar_batch(labels, key, rng, random_pixels)
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / meta[0]).write_bytes(pickle.dumps(meta[1], protocol=2))
    return str(root)


def write_fake_imagenet_lt(root, num_classes=1000, train_counts=None,
                           per_class_eval=1, num_images=4, seed=0):
    """ImageNet-LT split files whose lines point at ``num_images`` tiny
    JPEGs under ``train/`` and ``val/``; returns ``root``."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    images = []
    for i in range(num_images):
        folder = 'train' if i % 2 == 0 else 'val'
        path = root / folder / f'n{i:08d}' / f'img_{i}.JPEG'
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), rng.integers(0, 256, (40, 48, 3), np.uint8))
        images.append(path.relative_to(root).as_posix())
    if train_counts is None:
        train_counts = [1 + (c % 3) for c in range(num_classes)]
    splits = dict(
        train=[c for c, n in enumerate(train_counts) for _ in range(n)],
        val=[c for c in range(num_classes) for _ in range(per_class_eval)],
        test=[c for c in range(num_classes) for _ in range(per_class_eval)])
    for split, labels in splits.items():
        lines = [f'{images[i % num_images]} {c}' for i, c in enumerate(labels)]
        (root / f'ImageNet_LT_{split}.txt').write_text('\n'.join(lines) + '\n')
    return str(root)


def write_fake_ade20k(root, num_train=4, num_val=2, size=(64, 80), seed=0):
    """``images/{training,validation}/*.jpg`` and ``annotations/...png``
    with labels 0..150 (0 is "other", ignored through reduce_zero_label);
    returns ``root``."""
    rng = np.random.RandomState(seed)
    root = Path(root)
    for split, count in (('training', num_train), ('validation', num_val)):
        for sub in ('images', 'annotations'):
            (root / sub / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            name = f'ADE_{split}_{i:08d}'
            cv2.imwrite(str(root / 'images' / split / f'{name}.jpg'),
                        rng.randint(0, 256, size + (3, ), np.uint8))
            cv2.imwrite(str(root / 'annotations' / split / f'{name}.png'),
                        rng.randint(0, 151, size, np.uint8))
    return str(root)


def write_fake_cityscapes(root, num_train=3, num_val=1, size=(32, 64),
                          seed=0):
    """``leftImg8bit/{train,val}/<city>/`` and ``gtFine/...`` with train
    ids 0..18 and 255 (the top rows); returns ``root``."""
    rng = np.random.RandomState(seed)
    root = Path(root)
    for split, count in (('train', num_train), ('val', num_val)):
        images = root / 'leftImg8bit' / split / 'aachen'
        labels = root / 'gtFine' / split / 'aachen'
        images.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            name = f'aachen_{i:06d}_000019'
            label = rng.randint(0, 19, size, np.uint8)
            label[:4] = 255
            cv2.imwrite(str(images / f'{name}_leftImg8bit.png'),
                        rng.randint(0, 256, size + (3, ), np.uint8))
            cv2.imwrite(str(labels / f'{name}_gtFine_labelTrainIds.png'),
                        label)
    return str(root)
