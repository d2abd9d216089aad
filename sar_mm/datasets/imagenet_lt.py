from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
from mmpretrain.registry import DATASETS

from .lt_image_list import LTImageList


@DATASETS.register_module()
class ImageNetLT(LTImageList):
    """ImageNet-LT (Liu et al., "Large-Scale Long-Tailed Recognition in an
    Open World", CVPR 2019): 115,846 training images of the 1,000 ImageNet
    classes, 1,280 to 5 per class; balanced val (20 per class) and test (50
    per class, the ImageNet validation images) splits.

    Reads the standard split files ``ImageNet_LT_{train,val,test}.txt``
    from ``data_root``; their image paths (``train/n01440764/...``,
    ``val/n01440764/...``) are relative to ``data_root`` too, so link
    ImageNet's ``train`` and ``val`` folders (the latter in class folders)
    there. See :class:`LTImageList` for the arguments; Places-LT and
    iNaturalist 2018 lists load with :class:`LTImageList` itself.
    """

    METAINFO = dict(classes=IMAGENET_CATEGORIES)
    split_file = 'ImageNet_LT_{split}.txt'
