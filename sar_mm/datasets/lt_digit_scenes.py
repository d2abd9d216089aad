import json
import os
import os.path as osp
import shutil
import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .digits import DIGIT_NAMES, NUM_DIGIT_CLASSES, load_digit_split, upscale
from .split_files import (covering_samples, labelled_count, nested_labelled,
                          split_line, write_split_pair)

_FORMAT_VERSION = 1
#: Labelled fractions 1/k whose split files are written next to the scenes.
SPLIT_DENOMINATORS = (2, 4, 8, 16)


def _smooth_noise(rng: np.random.RandomState, size: int,
                  cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid, upscaled."""
    import cv2
    coarse = rng.rand(cells, cells).astype(np.float32)
    return cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)


def _background(rng: np.random.RandomState, size: int) -> np.ndarray:
    """A textured, tinted background: smooth blobs, a gradient, fine grain."""
    blobs = _smooth_noise(rng, size, rng.randint(3, 7))
    grain = rng.rand(size, size).astype(np.float32)
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    gradient = ramp[None, :] if rng.rand() < 0.5 else ramp[:, None]
    texture = 0.5 * blobs + 0.3 * gradient + 0.2 * grain
    tint = rng.uniform(0.4, 1.0, size=3).astype(np.float32)
    base = rng.uniform(40, 110)
    return base + 70 * texture[..., None] * tint


def render_scene(rng: np.random.RandomState, size: int, digit_images,
                 digit_labels, class_probs, digits_per_scene):
    """Compose one scene and its label map.

    Digits are pasted at random sizes and places in a random colour; later
    digits occlude earlier ones. A pixel is labelled ``digit + 1`` where the
    upscaled stroke intensity is above 40 %, background (0) elsewhere.

    Returns:
        tuple[np.ndarray, np.ndarray]: BGR uint8 image (size, size, 3) and
        uint8 label map (size, size).
    """
    image = _background(rng, size)
    label = np.zeros((size, size), np.uint8)
    for _ in range(rng.randint(digits_per_scene[0], digits_per_scene[1] + 1)):
        cls = rng.choice(NUM_DIGIT_CLASSES, p=class_probs)
        pool = np.flatnonzero(digit_labels == cls)
        digit = digit_images[rng.choice(pool)]
        side = rng.randint(size // 4, size // 2 + 1)
        stroke = upscale(digit, (side, side)).astype(np.float32) / 255.0
        y, x = rng.randint(0, size - side + 1, size=2)
        colour = rng.uniform(150, 255, size=3).astype(np.float32)
        region = image[y:y + side, x:x + side]
        alpha = stroke[..., None]
        region[:] = (1 - alpha) * region + alpha * colour
        label[y:y + side, x:x + side][stroke > 0.4] = cls + 1
    return np.clip(image, 0, 255).astype(np.uint8), label


def generate_lt_digit_scenes(out_dir: str,
                             imbalance_ratio: float = 20.0,
                             scene_size: int = 64,
                             num_train: int = 400,
                             num_val: int = 100,
                             digits_per_scene=(2, 4),
                             seed: int = 0) -> None:
    """Write the scenes in mmseg's folder layout.

    ``out_dir/{img_dir,ann_dir}/{train,val}/*.png`` plus ``meta.json``. Train
    scenes draw digit ``c`` with probability proportional to
    ``imbalance_ratio ** (-c / 9)`` from the training pool of digits, so the
    pixel share of the digit classes is long-tailed with about that ratio.
    Val scenes draw all digits equally often from the held-out digits, so
    every class is measured on the same footing.
    """
    import cv2
    digits = load_digit_split(seed=seed)
    tail = imbalance_ratio**(-np.arange(NUM_DIGIT_CLASSES) /
                             (NUM_DIGIT_CLASSES - 1))
    splits = dict(
        train=(num_train, digits.train_images, digits.train_labels,
               tail / tail.sum()),
        val=(num_val, digits.test_images, digits.test_labels,
             np.full(NUM_DIGIT_CLASSES, 1 / NUM_DIGIT_CLASSES)))
    for offset, (split, (count, images, labels, probs)) in enumerate(
            splits.items()):
        rng = np.random.RandomState(seed * 1000 + offset)
        for sub in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(out_dir, sub, split), exist_ok=True)
        for i in range(count):
            img, ann = render_scene(rng, scene_size, images, labels, probs,
                                    digits_per_scene)
            name = f'{split}_{i:05d}.png'
            cv2.imwrite(osp.join(out_dir, 'img_dir', split, name), img)
            cv2.imwrite(osp.join(out_dir, 'ann_dir', split, name), ann)


def write_lt_digit_scenes_splits(data_root: str, num_train: int,
                                 seed: int) -> None:
    """Write UniMatch-style split files for semi-supervised training.

    ``data_root/splits/1_{k}/{labeled,unlabeled}.txt`` for every ``k`` of
    :data:`SPLIT_DENOMINATORS`: one train scene per line, as
    ``img_dir/train/<name> ann_dir/train/<name>`` relative to ``data_root``.
    The labelled scenes of ``1/k`` are the first ``num_train // k`` of one
    seeded permutation, so the splits are nested (1/16 within 1/8 ...), and
    the unlabelled list is the rest; but every split labels every class
    (as ``make_splits.py --stratified`` does): the scenes of
    :func:`~.split_files.covering_samples` (per class, rarest first, the
    earliest scene of the permutation holding it) come first, so a split
    whose prefix misses a class gets such a scene in place of its last one
    (a split with fewer scenes than classes labels the rarest first). A
    split whose prefix labels every class is that prefix, as before.
    Deterministic: a function of the scenes, ``num_train`` and ``seed``.
    Existing split files are kept (delete ``splits/`` to rewrite them).
    Written into a private folder and renamed into place, so concurrent
    processes never see half a split.
    """
    import cv2
    target = osp.join(data_root, 'splits')
    if osp.isdir(target):
        return
    order = np.random.RandomState(seed * 1000 + 2).permutation(num_train)
    names = [f'train_{i:05d}.png' for i in range(num_train)]
    lines = [
        split_line(f'img_dir/train/{name}', f'ann_dir/train/{name}', '')
        for name in names
    ]
    num_classes = len(LTDigitScenes.METAINFO['classes'])
    present = np.stack([
        np.bincount(
            cv2.imread(osp.join(data_root, 'ann_dir', 'train', name),
                       cv2.IMREAD_UNCHANGED).ravel(),
            minlength=num_classes)[:num_classes] > 0 for name in names
    ])
    counts = {k: labelled_count(num_train, 1 / k) for k in SPLIT_DENOMINATORS}
    labelled = nested_labelled(order.tolist(), list(counts.values()),
                               covering_samples(present, order.tolist()))
    tmp = f'{target}.tmp-{os.getpid()}'
    shutil.rmtree(tmp, ignore_errors=True)
    for k, count in counts.items():
        write_split_pair(osp.join(tmp, f'1_{k}'), lines, labelled[count])
    try:
        os.rename(tmp, target)
    except OSError:
        # another process won the race; its splits are identical
        shutil.rmtree(tmp, ignore_errors=True)


@DATASETS.register_module()
class LTDigitScenes(BaseSegDataset):
    """Long-tailed scenes of handwritten digits, built in, no download.

    Small scenes of upscaled real digits (scikit-learn's) on textured
    backgrounds; the label map is background plus the 10 digit classes. The
    digit classes' pixel frequency in the train split falls off exponentially
    from digit 0 (head) to digit 9 (tail) by ``imbalance_ratio``; the val
    split is balanced over digits and uses held-out handwriting.

    The scenes are generated once, on first use, into ``data_root`` in
    mmseg's ``img_dir``/``ann_dir`` layout and reused afterwards, with
    split files for semi-supervised training (1/2, 1/4, 1/8 and 1/16 of the
    train scenes labelled, each labelling every class, see
    :func:`write_lt_digit_scenes_splits`) under ``data_root/splits``.
    ``data_root/meta.json`` records the generation settings; asking for
    other settings with the same ``data_root`` is an error rather than a
    silent reuse.

    Args:
        data_root (str): Where the scenes live. Defaults to
            ``'data/lt_digit_scenes'``.
        imbalance_ratio (float): Head/tail digit frequency ratio of the
            train split. Defaults to 20.
        scene_size (int): Side of the square scenes. Defaults to 64.
        num_train (int): Train scenes. Defaults to 400.
        num_val (int): Val scenes. Defaults to 100.
        seed (int): Generation seed. Defaults to 0.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`
            (``data_prefix``, ``pipeline``...).
    """

    METAINFO = dict(
        classes=('background', ) + DIGIT_NAMES,
        palette=[[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25],
                 [0, 130, 200], [245, 130, 48], [145, 30, 180],
                 [70, 240, 240], [240, 50, 230], [210, 245, 60],
                 [250, 190, 212]])

    #: Tells the tools that a missing ``data_root`` is made, not an error.
    generates_data = True

    def __init__(self,
                 data_root: str = 'data/lt_digit_scenes',
                 imbalance_ratio: float = 20.0,
                 scene_size: int = 64,
                 num_train: int = 400,
                 num_val: int = 100,
                 seed: int = 0,
                 data_prefix: dict = dict(
                     img_path='img_dir/train', seg_map_path='ann_dir/train'),
                 **kwargs):
        settings = dict(
            format=_FORMAT_VERSION,
            imbalance_ratio=float(imbalance_ratio),
            scene_size=int(scene_size),
            num_train=int(num_train),
            num_val=int(num_val),
            seed=int(seed))
        self._ensure_generated(data_root, settings)
        kwargs.setdefault('img_suffix', '.png')
        kwargs.setdefault('seg_map_suffix', '.png')
        super().__init__(
            data_root=data_root, data_prefix=data_prefix, **kwargs)

    @staticmethod
    def _ensure_generated(data_root: str, settings: dict) -> None:
        meta_file = osp.join(data_root, 'meta.json')
        if osp.exists(data_root) and not osp.exists(meta_file):
            raise FileExistsError(
                f'{data_root} exists but has no meta.json, so it is not an '
                f'LTDigitScenes folder; move it away or set another '
                f'data_root.')
        if not osp.exists(meta_file):
            # Write into a private folder and rename it into place, so that
            # concurrent processes (DDP ranks) never see half a dataset.
            tmp = f'{data_root.rstrip("/")}.tmp-{os.getpid()}'
            shutil.rmtree(tmp, ignore_errors=True)
            kwargs = {k: v for k, v in settings.items() if k != 'format'}
            generate_lt_digit_scenes(tmp, **kwargs)
            with open(osp.join(tmp, 'meta.json'), 'w') as f:
                json.dump(settings, f, indent=2)
            os.makedirs(osp.dirname(osp.abspath(data_root)), exist_ok=True)
            try:
                os.rename(tmp, data_root)
            except OSError:
                # another process won the race; its data is identical
                shutil.rmtree(tmp, ignore_errors=True)
        with open(meta_file) as f:
            found = json.load(f)
        if found != settings:
            raise ValueError(
                f'{data_root} holds LTDigitScenes generated with {found}, '
                f'but the config asks for {settings}. Delete that folder or '
                f'set another data_root.')
        write_lt_digit_scenes_splits(data_root, settings['num_train'],
                                     settings['seed'])
