# Cross-entropy baseline on the built-in LTDigits (ratio 10): ResNet-32 from
# scratch, 30 epochs of the CIFAR-LT schedule with the learning rate scaled
# linearly to batch 64 (0.15 * 64 / 256); under 2 minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/lt_digits.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

max_epochs = 30
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.0375, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.2,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=2, end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
randomness = dict(seed=0)
