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
branch_field = ['sup', 'unsup_weak', 'unsup_strong1', 'unsup_strong2']
geometry = [
    dict(type='RandomResizeByRatio', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
voc = dict(
    type='PascalVOCDataset',
    data_root='data/VOCdevkit/VOC2012',
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file='ImageSets/Segmentation/train.txt')
labelled = dict(
    type='SemiSplitDataset',
    dataset=voc,
    split_file=f'{split_dir}/labeled.txt',
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'), *geometry,
        dict(
            type='MultiBranch',
            branch_field=branch_field,
            sup=[dict(type='PackSegInputs')])
    ])
unlabelled = dict(
    type='SemiSplitDataset',
    dataset=voc,
    split_file=f'{split_dir}/unlabeled.txt',
    labelled=False,
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadEmptySegMap'), *geometry,
        dict(
            type='MultiBranch',
            branch_field=branch_field,
            unsup_weak=_base_.weak_view,
            unsup_strong1=_base_.strong_view,
            unsup_strong2=_base_.strong_view)
    ])
train_dataloader = dict(
    batch_size=4,
    sampler=dict(
        _delete_=True,
        type='MultiSourceSampler',
        batch_size=4,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True, type='ConcatDataset', datasets=[labelled,
                                                       unlabelled]))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
