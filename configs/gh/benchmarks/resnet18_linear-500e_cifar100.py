# Linear probe of a ResNet-18 pre-trained on CIFAR-100-LT (the GH paper's
# protocol): frozen backbone, a linear classifier trained on the full
# *balanced* CIFAR-100 train set, tested on the CIFAR-100 test set and
# scored per shot group of CIFAR-100-LT (ratio 100) by LTAccuracy, which
# reads the LT training counts from the test dataset (CIFAR100LT's test
# split carries them). Adam, lr 1e-2 decayed exponentially to 1e-6 over
# 500 epochs, weight decay 5e-6, batch 1000, as the reference.
#   python tools/train.py configs/gh/benchmarks/resnet18_linear-500e_cifar100.py \
#     --cfg-options model.backbone.init_cfg.checkpoint=CHECKPOINT
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=100,
        mean=[129.304, 124.070, 112.434],
        std=[68.170, 65.392, 70.418],
        to_rgb=False),
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        frozen_stages=4,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss')))

data_root = 'data/cifar100'
train_dataloader = dict(
    batch_size=1000,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CIFAR100',
        data_root=data_root,
        split='train',
        pipeline=[
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]))
val_dataloader = dict(
    batch_size=1000,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CIFAR100LT',
        data_root=data_root,
        split='test',
        imbalance_ratio=100,  # of the pre-training set: sets the groups
        pipeline=[dict(type='PackInputs')]))
# groups by the evaluated split's counts: the probe's training set is
# balanced, the groups are the long-tailed pre-training set's
val_evaluator = dict(type='LTAccuracy', class_counts='evaluated_split')
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_epochs = 500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-2, weight_decay=5e-6))
param_scheduler = dict(
    type='ExponentialLR', gamma=1e-4**(1 / max_epochs), by_epoch=True)
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=50)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=50, max_keep_ckpts=1))
