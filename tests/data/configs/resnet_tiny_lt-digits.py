# A tiny mmpretrain classifier on the built-in LTDigits, for tests of the
# analysis tools on classification checkpoints: 16x16 images, a ResNet-18
# (CIFAR stem) with 8 base channels (64-d features), one epoch.
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
data_preprocessor = dict(
    num_classes=10, mean=[78.1] * 3, std=[81.4] * 3, to_rgb=False)
digits = dict(type='LTDigits', img_size=16, imbalance_ratio=10)
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**digits, pipeline=[dict(type='PackInputs')]))
val_dataloader = dict(
    batch_size=50,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **digits,
        split='test',
        test_per_class=10,
        pipeline=[dict(type='PackInputs')]))
test_dataloader = val_dataloader
val_evaluator = dict(type='LTAccuracy', many_thresh=60, few_thresh=20)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=2))
randomness = dict(seed=0)
