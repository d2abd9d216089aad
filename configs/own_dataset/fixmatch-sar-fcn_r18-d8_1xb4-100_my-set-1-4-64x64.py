# FixMatch + SAR on your own dataset, made from the supervised config: a
# quarter of the train images labelled (split files written by
# tools/dataset_converters/make_splits.py into data/my_set/splits/1_4/),
# the rest unlabelled. It contains the supervised run: each batch holds its
# 4 labelled images (loss weight 1), plus 4 unlabelled ones.
_base_ = [
    './fcn_r18-d8_1xb4-100_my-set-64x64.py',
    'sar_mm::_base_/datasets/semi_views.py',
]
split_dir = 'data/my_set/splits/1_4'

# 1. The model: the supervised one, wrapped; sar=dict() switches SAR on.
model = dict(
    _delete_=True,
    type='FixMatchSegmentor',
    segmentor=_base_.model,
    sar=dict())

# 2. The data. Both pipelines end in MultiBranch with the same
# branch_field: the branches of the training batch.
branch_field = ['sup', 'unsup_weak', 'unsup_strong']
labelled_pipeline = _base_.train_pipeline[:-1] + [
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        sup=[dict(type='PackSegInputs')])
]
# Unlabelled images: no mask (LoadEmptySegMap, where the labelled pipeline
# has LoadAnnotations), the geometry shared by the weak and strong views.
unlabelled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadEmptySegMap'),
    dict(
        type='RandomResize',
        scale=(64, 64),
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        unsup_weak=_base_.weak_view,
        unsup_strong=_base_.strong_view)
]
labelled = dict(
    type='SemiSplitDataset',
    dataset=_base_.my_dataset,
    split_file=f'{split_dir}/labeled.txt',
    pipeline=labelled_pipeline)
unlabelled = dict(
    type='SemiSplitDataset',
    dataset=_base_.my_dataset,
    split_file=f'{split_dir}/unlabeled.txt',
    labelled=False,
    pipeline=unlabelled_pipeline)
train_dataloader = dict(
    batch_size=8,
    sampler=dict(
        _delete_=True,
        type='MultiSourceSampler',
        batch_size=8,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True, type='ConcatDataset', datasets=[labelled,
                                                       unlabelled]))
