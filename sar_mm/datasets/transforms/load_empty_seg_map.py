import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadEmptySegMap(BaseTransform):
    """Give an unlabelled sample an all-zero label map of its image's size.

    The map is not a label. The geometry transforms move it with the image;
    the data preprocessor then pads it with ``seg_pad_val`` (255) to the
    batch size. After that it is 0 on image pixels and 255 on padding:
    UniMatch's ignore mask for unlabelled images, which marks padding and
    nothing else, as UniMatch-V2 builds it without reading any ground truth
    (``dataset/semi.py`` of github.com/LiheYoung/UniMatch-V2). Put it where
    a labelled pipeline has ``LoadAnnotations``.

    Required keys: ``img``. Added keys: ``gt_seg_map``, ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        results['gt_seg_map'] = np.zeros(results['img'].shape[:2], np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results
