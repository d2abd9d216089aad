"""mmcv 2.1.0's ``adjust_hue`` under NumPy 2.

``mmcv.adjust_hue`` shifts the hue channel by ``np.uint8(hue_factor *
255)``. NumPy 2 refuses to convert a negative number to ``uint8``
(``OverflowError: Python integer -36 out of bounds for uint8``), so every
negative hue factor, half of what a colour jitter with ``hue > 0`` draws
(e.g. mmpretrain's ``ColorJitter``, UniMatch's strong view), fails.
:func:`install_hue_fix` puts in a version that wraps the shift modulo 256,
which is what the original computed under NumPy 1 (and what torchvision's
``adjust_hue`` computes), for both of mmcv's backends.
"""
import cv2
import numpy as np
from PIL import Image


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None) -> np.ndarray:
    """``mmcv.adjust_hue`` with the hue shift wrapped modulo 256; its
    checks and errors are mmcv's."""
    import mmcv.image.photometric as photometric
    if backend is None:
        backend = photometric.imread_backend
    if backend not in ['cv2', 'pillow']:
        raise ValueError(f'backend: {backend} is not supported.'
                         f"Supported backends are 'cv2', 'pillow'")
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and (img.ndim in {2, 3})):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        hsv = Image.fromarray(img[..., ::-1], 'RGB').convert('HSV')
        h, s, v = hsv.split()
        h = Image.fromarray(np.array(h, np.uint8) + shift, 'L')
        rgb = Image.merge('HSV', (h, s, v)).convert('RGB')
        return np.array(rgb, dtype=img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] += shift
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def install_hue_fix() -> None:
    """Replace ``mmcv.adjust_hue`` where callers look it up."""
    import mmcv
    import mmcv.image
    import mmcv.image.photometric
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = adjust_hue
