"""Write a toy segmentation dataset in MMSegmentation's folder layout, to
follow docs/en/user_guides/own_dataset.md before your own data is ready::

    python tools/dataset_converters/toy_segmentation.py data/my_set

It writes 12 train and 4 val scenes of 64 x 64 pixels: a disc and, in some
scenes, a small square on a textured background, as JPEG images and PNG
masks of the same name::

    data/my_set/img_dir/{train,val}/scene_XX.jpg
    data/my_set/ann_dir/{train,val}/scene_XX.png

Mask values: 1 background, 2 disc, 3 square, and 0 on a thin ring around
each shape, the pixels an annotator left unlabelled (so the dataset needs
``reduce_zero_label=True``, like ADE20K). Seeded: the same files every time.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np

NUM_SCENES = dict(train=12, val=4)
SIZE = 64


def draw_scene(rng: np.random.Generator, with_square: bool):
    """One image (BGR, uint8) and its mask (values 0-3)."""
    base = rng.integers(60, 160, size=3)
    noise = rng.normal(0, 12, size=(SIZE, SIZE, 3))
    img = np.clip(base + noise, 0, 255)
    mask = np.ones((SIZE, SIZE), np.uint8)
    shapes = [(2, 'disc')] + ([(3, 'square')] if with_square else [])
    for value, kind in shapes:
        shape = np.zeros((SIZE, SIZE), np.uint8)
        cx, cy = rng.integers(14, SIZE - 14, size=2)
        if kind == 'disc':
            cv2.circle(shape, (int(cx), int(cy)), int(rng.integers(8, 14)),
                       1, -1)
        else:
            half = int(rng.integers(3, 6))
            shape[cy - half:cy + half, cx - half:cx + half] = 1
        colour = rng.integers(0, 256, size=3)
        img[shape == 1] = colour
        ring = cv2.dilate(shape, np.ones((3, 3), np.uint8)) - shape
        mask[shape == 1] = value
        mask[ring == 1] = 0
    return img.astype(np.uint8), mask


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a toy segmentation dataset (mmseg layout)')
    parser.add_argument('out', help='dataset folder, e.g. data/my_set')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if osp.isdir(osp.join(args.out, 'img_dir')):
        print(f'ERROR: {args.out}/img_dir exists; choose another folder or '
              f'remove it.', file=sys.stderr)
        sys.exit(1)
    rng = np.random.default_rng(args.seed)
    for split, count in NUM_SCENES.items():
        for sub in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(args.out, sub, split), exist_ok=True)
        for i in range(count):
            # the square is the rare class: in one scene of three
            img, mask = draw_scene(rng, with_square=i % 3 == 0)
            name = f'scene_{i:02d}'
            cv2.imwrite(osp.join(args.out, 'img_dir', split, name + '.jpg'),
                        img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(osp.join(args.out, 'ann_dir', split, name + '.png'),
                        mask)
    print(f'{sum(NUM_SCENES.values())} scenes written to {args.out}')


if __name__ == '__main__':
    main()
