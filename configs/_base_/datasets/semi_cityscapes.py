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
branch_field = ['sup', 'unsup_weak', 'unsup_strong1', 'unsup_strong2']
geometry = [
    dict(type='RandomResizeByRatio', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
cityscapes = dict(
    type='CityscapesDataset',
    data_root='data/cityscapes/',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'))
labelled = dict(
    type='SemiSplitDataset',
    dataset=cityscapes,
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
    dataset=cityscapes,
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
