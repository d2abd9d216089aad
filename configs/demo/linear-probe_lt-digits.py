# Linear probe of a backbone pre-trained by simclr_lt-digits.py or
# simclr_lt-digits_gh.py, the GH paper's protocol at demo scale: the
# backbone is frozen, a linear classifier is trained on the *balanced*
# LTDigits train split, and the balanced test split is scored by shot group
# of the long-tailed pre-training set (LTAccuracy reads the test dataset's
# class_counts: LTDigits' counts for its imbalance_ratio). About 30 s on
# 2 CPU cores:
#   python tools/train.py configs/demo/linear-probe_lt-digits.py \
#     --cfg-options model.backbone.init_cfg.checkpoint=CHECKPOINT
_base_ = [
    '../_base_/datasets/lt_digits_simclr.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

img_size = {{_base_.img_size}}
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=10,
        mean={{_base_.data_preprocessor.mean}},
        std={{_base_.data_preprocessor.std}},
        to_rgb=False),
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        stem_channels=16,
        base_channels=16,
        frozen_stages=4,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss')))

# The probe sees frozen features of un-augmented images, as the reference's
# feature-extraction probe. The images are in memory and not augmented:
# worker processes would only add start-up time.
pipeline = [dict(type='PackInputs')]
loader = dict(batch_size=100, num_workers=0)
dataset = dict(type='LTDigits', img_size=img_size, pipeline=pipeline)
train_dataloader = dict(
    _delete_=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', imbalance_ratio=1, **dataset),
    **loader)
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    # the pre-training set's imbalance ratio: it sets the shot groups
    dataset=dict(
        split='test', imbalance_ratio={{_base_.imbalance_ratio}}, **dataset),
    **loader)
# groups by the evaluated split's counts: the probe's training set is
# balanced, the groups are the long-tailed pre-training set's
val_evaluator = dict(type='LTAccuracy', class_counts='evaluated_split')
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# Adam with an exponential decay from 1e-2, weight decay 5e-6 (the
# reference probe decays to 1e-6 over 500 epochs; here to 1e-4 over 50).
max_epochs = 50
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-2, weight_decay=5e-6))
param_scheduler = dict(
    type='ExponentialLR', gamma=1e-2**(1 / max_epochs), by_epoch=True)
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=12),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs))
randomness = dict(seed=0)
