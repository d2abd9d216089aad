# FixMatch (UniMatch's variant) on LTDigitScenes with 1/8 of the train
# scenes labelled: the FCN demo model, crop and schedule; each batch holds
# 4 labelled and 4 unlabelled scenes (UniMatch's protocol: the
# supervised-only baseline trains on batches of 8 labelled scenes).
_base_ = ['../demo/fcn_lt-digit-scenes.py']

model = dict(
    _delete_=True,
    type='FixMatchSegmentor',
    segmentor=_base_.model,
    semi_train_cfg=dict(conf_thresh=0.95))

split_dir = 'data/lt_digit_scenes/splits/1_8'
scenes = dict(type='LTDigitScenes', data_root='data/lt_digit_scenes')
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
# UniMatch's strong view (BGR images, hence the grey weights' order).
strong_view = [
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.5,
                contrast=0.5,
                saturation=0.5,
                hue=0.25)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.299)),
    dict(
        type='mmpretrain.GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomCutMixBox', prob=0.5),
    dict(
        type='PackSegInputs',
        meta_keys=('img_path', 'ori_shape', 'img_shape', 'pad_shape',
                   'scale_factor', 'flip', 'flip_direction', 'cutmix_box')),
]
unlabelled_pipeline = unlabelled_geometry + [
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        unsup_weak=[dict(type='PackSegInputs')],
        unsup_strong=strong_view)
]
labelled = dict(
    type='SemiSplitDataset',
    dataset=scenes,
    split_file=f'{split_dir}/labeled.txt',
    pipeline=labelled_pipeline)
unlabelled = dict(
    type='SemiSplitDataset',
    dataset=scenes,
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
