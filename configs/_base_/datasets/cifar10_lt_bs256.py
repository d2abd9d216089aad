# CIFAR-10-LT (LDAM-DRW protocol, sar_mm.datasets.CIFAR10LT), batch 256.
# Augmentations of BCL's CIFAR pipeline (as released in LeapLabTHU/ProCo,
# ProCo_cifar/main.py): the classification view gets crop + flip + the
# AutoAugment CIFAR-10 policy + Cutout; BCL's contrastive views are
# SimCLR-style ("sim"). Single-view methods train on the classification view.
_base_ = ['mmpretrain::_base_/datasets/cifar10_bs16.py']

dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'

# AutoAugment, CIFAR-10 policy (Cubuk et al., CVPR 2019, appendix): 25
# sub-policies of two operations (probability, magnitude index m in 0..9),
# with the usual magnitude ranges (value = range * m / 9): shear 0.3,
# translate 150/331 of the side, rotate 30 deg, colour/contrast/sharpness/
# brightness 0.9, posterize 8..4 bits, solarize 256..0; grey (128) fill.
cifar10_autoaugment_policy = [
    [dict(type='Invert', prob=0.1),
     dict(type='Contrast', magnitude=0.9 * 6 / 9, prob=0.2)],
    [dict(type='Rotate', angle=2 * 30 / 9, prob=0.7),
     dict(type='Translate', magnitude=150 / 331 * 9 / 9, prob=0.3)],
    [dict(type='Sharpness', magnitude=0.9 * 1 / 9, prob=0.8),
     dict(type='Sharpness', magnitude=0.9 * 3 / 9, prob=0.9)],
    [dict(type='Shear', magnitude=0.3 * 8 / 9, direction='vertical', prob=0.5),
     dict(type='Translate', magnitude=150 / 331 * 9 / 9, direction='vertical',
          prob=0.7)],
    [dict(type='AutoContrast', prob=0.5), dict(type='Equalize', prob=0.9)],
    [dict(type='Shear', magnitude=0.3 * 7 / 9, direction='vertical', prob=0.2),
     dict(type='Posterize', bits=5, prob=0.3)],
    [dict(type='ColorTransform', magnitude=0.9 * 3 / 9, prob=0.4),
     dict(type='Brightness', magnitude=0.9 * 7 / 9, prob=0.6)],
    [dict(type='Sharpness', magnitude=0.9 * 9 / 9, prob=0.3),
     dict(type='Brightness', magnitude=0.9 * 9 / 9, prob=0.7)],
    [dict(type='Equalize', prob=0.6), dict(type='Equalize', prob=0.5)],
    [dict(type='Contrast', magnitude=0.9 * 7 / 9, prob=0.6),
     dict(type='Sharpness', magnitude=0.9 * 5 / 9, prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.9 * 7 / 9, prob=0.7),
     dict(type='Translate', magnitude=150 / 331 * 8 / 9, prob=0.5)],
    [dict(type='Equalize', prob=0.3), dict(type='AutoContrast', prob=0.4)],
    [dict(type='Translate', magnitude=150 / 331 * 3 / 9, direction='vertical',
          prob=0.4),
     dict(type='Sharpness', magnitude=0.9 * 6 / 9, prob=0.2)],
    [dict(type='Brightness', magnitude=0.9 * 6 / 9, prob=0.9),
     dict(type='ColorTransform', magnitude=0.9 * 8 / 9, prob=0.2)],
    [dict(type='Solarize', thr=256 - 2 * 256 / 9, prob=0.5),
     dict(type='Invert', prob=0.0)],
    [dict(type='Equalize', prob=0.2), dict(type='AutoContrast', prob=0.6)],
    [dict(type='Equalize', prob=0.2), dict(type='Equalize', prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.9 * 9 / 9, prob=0.9),
     dict(type='Equalize', prob=0.6)],
    [dict(type='AutoContrast', prob=0.8),
     dict(type='Solarize', thr=256 - 8 * 256 / 9, prob=0.2)],
    [dict(type='Brightness', magnitude=0.9 * 3 / 9, prob=0.1),
     dict(type='ColorTransform', magnitude=0., prob=0.7)],
    [dict(type='Solarize', thr=256 - 5 * 256 / 9, prob=0.4),
     dict(type='AutoContrast', prob=0.9)],
    [dict(type='Translate', magnitude=150 / 331 * 9 / 9, direction='vertical',
          prob=0.9),
     dict(type='Translate', magnitude=150 / 331 * 9 / 9, direction='vertical',
          prob=0.7)],
    [dict(type='AutoContrast', prob=0.9),
     dict(type='Solarize', thr=256 - 3 * 256 / 9, prob=0.8)],
    [dict(type='Equalize', prob=0.8), dict(type='Invert', prob=0.1)],
    [dict(type='Translate', magnitude=150 / 331 * 9 / 9, direction='vertical',
          prob=0.7),
     dict(type='AutoContrast', prob=0.9)],
]

classification_view = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='AutoAugment', policies=cifar10_autoaugment_policy),
    # one 16x16 hole, filled with black as the reference (before Normalize)
    dict(type='Cutout', shape=16, pad_val=0, prob=1.0),
]
contrastive_view = [
    dict(type='RandomResizedCrop', scale=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    # CIFAR arrays are RGB
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.2989, 0.587, 0.114)),
]
train_pipeline = [*classification_view, dict(type='PackInputs')]
# BCL/RCL: 1 classification view + 2 contrastive views, stacked per view by
# default_collate + SelfSupDataPreprocessor.
multiview_train_pipeline = [
    dict(
        type='MultiView',
        num_views=[1, 2],
        transforms=[classification_view, contrastive_view]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        imbalance_ratio=100,
        pipeline=train_pipeline))
# The test split is balanced; imbalance_ratio only sets the training counts
# it carries (class_counts) for the many/medium/few groups.
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type, data_root=data_root, imbalance_ratio=100))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='LTAccuracy')
test_evaluator = val_evaluator

# Heads and losses that need the class frequencies get them from the
# training dataset (see sar_mm.engine.hooks.ClassCountsHook).
custom_hooks = [dict(type='ClassCountsHook')]
