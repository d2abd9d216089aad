# Pascal VOC 2012 for UniMatch (FixMatch + feature perturbation + two strong
# views): labelled and unlabelled images listed by UniMatch's split files,
# batches of 2 labelled + 2 unlabelled images, UniMatch's augmentation at
# crop 321, evaluation on whole val images.
#
# Split files: copy the splits/ folder of github.com/LiheYoung/UniMatch to
# data/unimatch_splits (lines '<image> <mask>' relative to data_root). The
# labelled images of the 92 ... 1464 splits come from the 1,464 finely
# annotated ones, whose masks are in VOC2012's SegmentationClass; the
# unlabelled ones (from the 10,582 of SBD + VOC) need no mask.
_base_ = ['mmseg::_base_/datasets/pascal_voc12.py', './semi_views.py']
crop_size = (321, 321)
split_dir = 'data/unimatch_splits/pascal/1464'
voc = dict(
    type='PascalVOCDataset',
    data_root='data/VOCdevkit/VOC2012',
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file='ImageSets/Segmentation/train.txt')
geometry = [
    dict(type='RandomResizeByRatio', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
labelled = dict(
    type='SemiSplitDataset',
    dataset=voc,
    split_file=f'{split_dir}/labeled.txt',
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'), *geometry, _base_.labelled_views
    ])
unlabelled = dict(
    labelled,
    split_file=f'{split_dir}/unlabeled.txt',
    labelled=False,
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadEmptySegMap'), *geometry, _base_.unlabelled_views
    ])
train_dataloader = dict(
    batch_size=4,
    sampler=_base_.semi_sampler,
    dataset=dict(
        _delete_=True, type='ConcatDataset', datasets=[labelled,
                                                       unlabelled]))
val_dataloader = dict(dataset=dict(pipeline=_base_.whole_image_pipeline))
test_dataloader = val_dataloader
