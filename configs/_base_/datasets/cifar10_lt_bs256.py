# CIFAR-10-LT (LDAM-DRW protocol, sar_mm.datasets.CIFAR10LT), batch 256.
# Augmentations of BCL's CIFAR pipeline (as released in LeapLabTHU/ProCo,
# ProCo_cifar/main.py): the classification view gets crop + flip + the
# AutoAugment CIFAR-10 policy + Cutout; BCL's contrastive views are
# SimCLR-style ("sim"). Single-view methods train on the classification view.
_base_ = ['mmpretrain::_base_/datasets/cifar10_bs16.py']

dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'

classification_view = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='CIFAR10AutoAugment'),
    # one 16x16 hole, filled with black as the reference (before Normalize)
    dict(type='Cutout', shape=16, pad_val=0, prob=1.0),
]
contrastive_view = [
    dict(type='RandomResizedCrop', scale=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # torchvision's ColorJitter (through PIL): mmcv 2.1's hue shift fails
    # under numpy 2 (OverflowError in mmcv.image.adjust_hue)
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
    # CIFAR arrays are RGB
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.2989, 0.587, 0.114)),
]
train_pipeline = [*classification_view, dict(type='PackInputs')]
# BCL/RCL: 1 classification view + 2 contrastive views per image
# (MultiViewImageClassifier).
multiview_train_pipeline = [
    dict(
        type='MultiView',
        num_views=[1, 2],
        transforms=[classification_view, contrastive_view]),
    dict(type='PackInputs'),
]

# default_collate (every image is 32x32) stacks a batch, or one batch per
# view for multi-view pipelines.
train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        imbalance_ratio=100,
        pipeline=train_pipeline))
# The test split is balanced. The many/medium/few groups of LTAccuracy come
# from the training set's counts (ClassCountsHook), so a config changes the
# imbalance ratio of the training set alone.
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='LTAccuracy')
test_evaluator = val_evaluator

# Heads, losses and LTAccuracy get the class frequencies from the training
# dataset (sar_mm.engine.hooks.ClassCountsHook; sar_mm's tools add it to
# every run, this line is for other tools).
custom_hooks = [dict(type='ClassCountsHook')]
