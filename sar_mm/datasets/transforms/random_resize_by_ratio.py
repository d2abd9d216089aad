from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomResizeByRatio(BaseTransform):
    """Resize by a random factor of the image's own size, keeping its aspect
    ratio: the long side ``L`` becomes an integer drawn uniformly from
    ``[int(r0 * L), int(r1 * L)]``.

    UniMatch's scale augmentation (``resize`` in ``dataset/transform.py`` of
    github.com/LiheYoung/UniMatch, ratio range (0.5, 2.0)). mmcv's
    ``RandomResize`` scales relative to a fixed target scale instead, which
    differs from it whenever images differ in size. The image is resized
    bilinearly and the label map by nearest neighbour (mmcv ``Resize``).

    Args:
        ratio_range (tuple[float, float]): Range ``(r0, r1)`` of the long
            side's scale factor. Defaults to (0.5, 2.0).
    """

    def __init__(self, ratio_range: Tuple[float, float] = (0.5, 2.0)) -> None:
        if not 0 < ratio_range[0] <= ratio_range[1]:
            raise ValueError(
                f'ratio_range must be (low, high) with 0 < low <= high, got '
                f'{ratio_range}')
        self.ratio_range = tuple(ratio_range)
        # a square scale makes keep-ratio resizing set the long side exactly
        self.resize = TRANSFORMS.build(
            dict(type='Resize', scale=0, keep_ratio=True))

    @cache_randomness
    def _random_long_side(self, long_side: int) -> int:
        low, high = self.ratio_range
        return np.random.randint(
            int(long_side * low),
            int(long_side * high) + 1)

    def transform(self, results: dict) -> dict:
        long_side = self._random_long_side(max(results['img'].shape[:2]))
        self.resize.scale = (long_side, long_side)
        return self.resize(results)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ratio_range={self.ratio_range})'
