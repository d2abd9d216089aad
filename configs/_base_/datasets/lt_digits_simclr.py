# LTDigits for contrastive pre-training: two augmented views per image, the
# recipe of mmpretrain's _base_/datasets/imagenet_bs32_simclr.py and of the
# GH reference's CIFAR augmentation, minus flips (digits are not
# mirror-symmetric) and the colour terms (grey images; mmcv's hue jitter
# also fails on numpy 2). The images are in memory: no LoadImageFromFile.
dataset_type = 'LTDigits'
imbalance_ratio = 10
# The digits are 8x8 scans: 16x16 keeps every detail at a quarter of the
# cost of the default 32x32.
img_size = 16
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[78.1, 78.1, 78.1],
    std=[82.7, 82.7, 82.7],
    to_rgb=False)

view_pipeline = [
    dict(
        type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.0)),
    dict(
        type='RandomApply',
        transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4)
        ],
        prob=0.8),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    # PackInputs keeps sample_idx (in its default meta_keys), which
    # Geometric Harmonization needs.
    dict(type='PackInputs')
]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        split='train',
        imbalance_ratio=imbalance_ratio,
        img_size=img_size,
        pipeline=train_pipeline))
