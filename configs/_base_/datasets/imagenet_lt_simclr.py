# ImageNet-LT (115,846 images, 1000 classes, 1280 to 5 per class) for
# contrastive pre-training, with the augmentation of the GH reference
# (utils.py imagenet_strong_aug): RandomResizedCrop(224, scale 0.08-1,
# bicubic), flip, colour jitter (0.4, 0.4, 0.4, 0.1) with p 0.8, grayscale
# with p 0.2, Gaussian blur with p 0.5. The colour jitter is torchvision's:
# mmcv 2.1's hue jitter fails on numpy 2.
dataset_type = 'ImageNetLT'
data_root = 'data/imagenet'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=224,
        interpolation='bicubic',
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(type='NumpyToPIL', to_rgb=True),
            dict(
                type='torchvision/ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1),
            dict(type='PILToNumpy', to_bgr=True),
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),  # BGR
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')  # keeps sample_idx, which GH needs
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageNet_LT_train.txt',
        split='train',
        pipeline=train_pipeline))
