"""mmcv.adjust_hue with the NumPy 2 fix: torchvision's result for every
hue factor, negative ones included, and both mmcv backends agree."""
import mmcv
import numpy as np
import pytest
from PIL import Image
from torchvision.transforms import functional as TF


@pytest.mark.parametrize('factor', [-0.5, -0.3, -0.01, 0.0, 0.2, 0.5])
def test_matches_torchvision(factor):
    rgb = np.random.RandomState(0).randint(0, 256, (16, 24, 3)).astype(
        np.uint8)
    expected = np.array(TF.adjust_hue(Image.fromarray(rgb), factor))
    bgr = rgb[..., ::-1]
    out = mmcv.adjust_hue(bgr, factor, backend='pillow')
    assert out.dtype == np.uint8
    assert np.array_equal(out[..., ::-1], expected)
    # OpenCV's HSV rounds differently from PIL's: within a few levels
    cv2_out = mmcv.adjust_hue(bgr, factor, backend='cv2').astype(int)
    assert np.median(np.abs(cv2_out - out.astype(int))) <= 2


def test_keeps_mmcvs_checks():
    """Only the NumPy 2 failure changes: mmcv's own errors stay."""
    img = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(ValueError, match='not in'):
        mmcv.adjust_hue(img, 0.7)
    with pytest.raises(ValueError,
                       match="backend: turbo is not supported.Supported "
                       "backends are 'cv2', 'pillow'"):
        mmcv.adjust_hue(img, 0.1, backend='turbo')
    for bad in (img.tolist(), img[None]):
        with pytest.raises(TypeError, match='ndarray with dim=.2 or 3'):
            mmcv.adjust_hue(bad, 0.1)
    with pytest.raises(AssertionError, match='only support uint8'):
        mmcv.adjust_hue(img.astype(np.float32), 0.1, backend='pillow')
