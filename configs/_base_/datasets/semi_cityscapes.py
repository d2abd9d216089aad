# Cityscapes for UniMatch (FixMatch + feature perturbation + two strong
# views): labelled and unlabelled images listed by UniMatch's split files,
# batches of 2 labelled + 2 unlabelled images, UniMatch's augmentation at
# crop 801, evaluation on whole val images (sliding window, set by the
# model's test_cfg).
#
# Split files: copy the splits/ folder of github.com/LiheYoung/UniMatch to
# data/unimatch_splits; their lines ('leftImg8bit/train/... gtFine/train/
# ..._gtFine_labelTrainIds.png') match mmseg's Cityscapes layout.
_base_ = ['mmseg::_base_/datasets/cityscapes.py', './semi_views.py']
crop_size = (801, 801)
split_dir = 'data/unimatch_splits/cityscapes/1_16'
cityscapes = dict(
    type='CityscapesDataset',
    data_root='data/cityscapes/',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'))
geometry = [
    dict(type='RandomResizeByRatio', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
labelled = dict(
    type='SemiSplitDataset',
    dataset=cityscapes,
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
