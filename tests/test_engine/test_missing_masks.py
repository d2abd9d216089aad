"""check_datasets tells masks read as images (masks beside their images,
img_suffix matching them too) from masks that are missing."""
import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from sar_mm.engine.launch import check_datasets
from sar_mm.utils import UserInputError


def check(root, img_suffix):
    dataset = dict(
        type='BaseSegDataset',
        data_root=str(root),
        data_prefix=dict(img_path='scenes', seg_map_path='scenes'),
        img_suffix=img_suffix,
        seg_map_suffix='_mask.png',
        metainfo=dict(classes=('a', 'b')))
    with DefaultScope.overwrite_default_scope('mmseg'):
        check_datasets(Config(dict(train_dataloader=dict(dataset=dataset))))


@pytest.fixture
def root(tmp_path):
    """Two scenes, their masks stored beside them."""
    (tmp_path / 'scenes').mkdir()
    for i in range(2):
        cv2.imwrite(str(tmp_path / f'scenes/scene_{i}.png'),
                    np.zeros((4, 5, 3), np.uint8))
        cv2.imwrite(str(tmp_path / f'scenes/scene_{i}_mask.png'),
                    np.zeros((4, 5), np.uint8))
    return tmp_path


def test_masks_read_as_images(root):
    with pytest.raises(UserInputError) as err:
        check(root, '.png')
    line = str(err.value)
    assert line.startswith('2 mask(s) are listed as images of '
                           'train_dataloader.dataset (BaseSegDataset), e.g. ')
    assert "img_suffix='.png' also matches seg_map_suffix='_mask.png'" in line
    assert 'scene_0_mask_mask.png' in line  # the mask looked for
    assert 'Add them' not in line


def test_images_named_apart_from_their_masks_work(root):
    for i in range(2):
        (root / f'scenes/scene_{i}.png').rename(root / f'scenes/scene_{i}.jpg')
    check(root, '.jpg')
    (root / 'scenes/scene_1_mask.png').unlink()
    with pytest.raises(UserInputError, match=r"1 image\(s\) of train_"
                       r"dataloader.dataset \(BaseSegDataset\) have no mask, "
                       r"e\.g\. \['.*scene_1_mask\.png'\]\. Add them"):
        check(root, '.jpg')
