# CIFAR-100-LT (imbalance ratio 100, 10,847 images) for contrastive
# pre-training, with the augmentation of the GH reference
# (github.com/MediaBrain-SJTU/Geometric-Harmonization, utils.py
# cifar_strong_aug): RandomResizedCrop(32, scale 0.1-1), flip, colour
# jitter (0.4, 0.4, 0.4, 0.1) with p 0.8, grayscale with p 0.2.
# The colour jitter is torchvision's: mmcv 2.1's hue jitter fails on
# numpy 2 (negative hue shifts overflow uint8).
dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
imbalance_ratio = 100
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)  # CIFAR images are loaded as RGB

view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.1, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(type='NumpyToPIL', to_rgb=False),
            dict(
                type='torchvision/ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1),
            dict(type='PILToNumpy', to_bgr=False),
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.2989, 0.587, 0.114)),  # RGB
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')  # keeps sample_idx, which GH needs
]

train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        imbalance_ratio=imbalance_ratio,
        pipeline=train_pipeline))
