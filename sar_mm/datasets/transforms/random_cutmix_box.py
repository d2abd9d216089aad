from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomCutMixBox(BaseTransform):
    """Draw the box where CutMix will paste another image into this view.

    UniMatch's ``obtain_cutmix_box`` (``dataset/transform.py`` of
    github.com/LiheYoung/UniMatch), for an ``h x w`` view: with
    probability ``prob`` a box of area ``a ~ U(area_range) * h * w`` and
    aspect ratio ``r ~ U(ratio_range)``, ``bw = int(sqrt(a / r))``,
    ``bh = int(sqrt(a * r))``, at a uniformly drawn top-left corner; the
    ratio and the corner are redrawn until the box lies inside the view.

    The transform only draws the box; the mixing happens in the model,
    which pastes another view of the batch into it, image and pseudo-label
    alike. ``results['cutmix_box']`` is ``(x1, y1, x2, y2)`` in pixels of
    the view (top-left of the padded batch), ``(0, 0, 0, 0)`` for no box;
    list ``'cutmix_box'`` in ``PackSegInputs.meta_keys`` to pass it on.

    Args:
        prob (float): Probability of a box. Defaults to 0.5.
        area_range (tuple[float, float]): Box area as a fraction of the
            view. Defaults to (0.02, 0.4).
        ratio_range (tuple[float, float]): Box aspect ratio ``h / w``.
            Defaults to (0.3, 1 / 0.3).
        max_tries (int): Redraws before giving up on a box that fits (only
            views far from square can exhaust them); no box then.
            Defaults to 1000.
    """

    def __init__(self,
                 prob: float = 0.5,
                 area_range: Tuple[float, float] = (0.02, 0.4),
                 ratio_range: Tuple[float, float] = (0.3, 1 / 0.3),
                 max_tries: int = 1000) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if not 0 < area_range[0] <= area_range[1] <= 1:
            raise ValueError(
                f'area_range must be (low, high) within (0, 1], got '
                f'{area_range}')
        if not 0 < ratio_range[0] <= ratio_range[1]:
            raise ValueError(
                f'ratio_range must be (low, high) with 0 < low <= high, got '
                f'{ratio_range}')
        self.prob = prob
        self.area_range = tuple(area_range)
        self.ratio_range = tuple(ratio_range)
        self.max_tries = max_tries

    @cache_randomness
    def _random_box(self, h: int, w: int) -> Tuple[int, int, int, int]:
        if np.random.rand() >= self.prob:
            return (0, 0, 0, 0)
        area = np.random.uniform(*self.area_range) * h * w
        for _ in range(self.max_tries):
            ratio = np.random.uniform(*self.ratio_range)
            box_w = int(np.sqrt(area / ratio))
            box_h = int(np.sqrt(area * ratio))
            x = np.random.randint(0, w)
            y = np.random.randint(0, h)
            if x + box_w <= w and y + box_h <= h:
                return (x, y, x + box_w, y + box_h)
        return (0, 0, 0, 0)

    def transform(self, results: dict) -> dict:
        results['cutmix_box'] = self._random_box(*results['img'].shape[:2])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'area_range={self.area_range}, '
                f'ratio_range={self.ratio_range})')
