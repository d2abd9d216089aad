# FixMatch (UniMatch's variant) on LTDigitScenes with 1/8 of the train
# scenes labelled, made from the supervised-only config so that it contains
# it: the same model, crop, schedule and labelled batch (8 scenes, loss
# weight 1), plus 8 unlabelled scenes per batch and their loss on top.
_base_ = [
    './fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py',
    '../_base_/datasets/semi_views.py'
]

model = dict(
    _delete_=True,
    type='FixMatchSegmentor',
    segmentor=_base_.model,
    semi_train_cfg=dict(conf_thresh=0.95))

branch_field = ['sup', 'unsup_weak', 'unsup_strong']
# The demo's augmentation, packed as the labelled branch.
labelled_pipeline = _base_.train_pipeline[:-1] + [
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        sup=[dict(type='PackSegInputs')])
]
# Unlabelled scenes: an empty label map (it will mark the padding) and the
# demo's geometry, shared by the weak and strong views so they stay
# pixel-aligned.
unlabelled_geometry = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadEmptySegMap'),
    dict(
        type='RandomResize',
        scale=(64, 64),
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.crop_size),
]
unlabelled_pipeline = unlabelled_geometry + [
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        unsup_weak=_base_.weak_view,
        unsup_strong=_base_.strong_view)
]
labelled = dict(_base_.train_dataloader.dataset, pipeline=labelled_pipeline)
unlabelled = dict(
    labelled,
    split_file=f'{_base_.split_dir}/unlabeled.txt',
    labelled=False,
    pipeline=unlabelled_pipeline)
train_dataloader = dict(
    batch_size=16,
    sampler=dict(
        _delete_=True,
        type='MultiSourceSampler',
        batch_size=16,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True, type='ConcatDataset', datasets=[labelled,
                                                       unlabelled]))
