import numpy as np
from mmengine.registry import init_default_scope
from mmseg.registry import TRANSFORMS

from sar_mm.datasets.transforms import LoadEmptySegMap


def test_zero_map_moves_with_the_geometry_and_packs():
    init_default_scope('mmseg')
    results = LoadEmptySegMap()(dict(img=np.ones((30, 50, 3), np.uint8)))
    assert results['gt_seg_map'].shape == (30, 50)
    assert results['gt_seg_map'].dtype == np.uint8
    assert not results['gt_seg_map'].any()
    assert results['seg_fields'] == ['gt_seg_map']
    results = TRANSFORMS.build(dict(type='RandomCrop', crop_size=(20, 20)))(
        results)
    assert results['gt_seg_map'].shape == (20, 20)
    packed = TRANSFORMS.build(dict(type='PackSegInputs'))(results)
    assert packed['data_samples'].gt_sem_seg.data.shape == (1, 20, 20)
