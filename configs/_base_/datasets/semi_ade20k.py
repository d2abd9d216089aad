# ADE20K for UniMatch (FixMatch + feature perturbation + two strong views):
# labelled and unlabelled images listed by UniMatch-V2's split files,
# batches of 2 labelled + 2 unlabelled images, UniMatch's augmentation at
# crop 512 (UniMatch-V2 uses 518 for its ViT), evaluation on whole val
# images.
#
# Split files: copy the splits/ folder of github.com/LiheYoung/UniMatch-V2
# to data/unimatch_splits (lines 'images/training/... annotations/
# training/...', mmseg's ADE20K layout; label 0 is reduced to 255 as in
# mmseg's ADE20K configs).
_base_ = ['mmseg::_base_/datasets/ade20k.py', './semi_views.py']
crop_size = (512, 512)
split_dir = 'data/unimatch_splits/ade20k/1_64'
ade20k = dict(
    type='ADE20KDataset',
    data_root='data/ade/ADEChallengeData2016',
    data_prefix=dict(
        img_path='images/training', seg_map_path='annotations/training'))
geometry = [
    dict(type='RandomResizeByRatio', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
labelled = dict(
    type='SemiSplitDataset',
    dataset=ade20k,
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
