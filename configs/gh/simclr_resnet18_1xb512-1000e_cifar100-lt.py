# SimCLR on CIFAR-100-LT (ratio 100), ResNet-18, batch 512 on one GPU, 1000
# epochs: the baseline of the GH paper's CIFAR protocol, with the same
# schedule as simclr-gh_resnet18_1xb512-1000e_cifar100-lt.py so the two
# differ only by GH. Evaluate with benchmarks/resnet18_linear-500e_cifar100.py.
_base_ = [
    '../_base_/datasets/cifar100_lt_simclr.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    type='SimCLR',
    backbone=dict(type='ResNet_CIFAR', depth=18),
    # the reference's projector: Linear-BN-ReLU-Linear-BN, 512 -> 128
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

max_epochs = 1000
warmup_epochs = 500  # GH's plain-SSL warm-up, where the LR restarts
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=5e-4))
# The reference's lr_scheduler_warm: linear warm-up over 10 epochs, cosine
# 0.5 -> 0.3 until the end of the GH warm-up, restarted cosine 0.3 -> 1e-6.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10),
    dict(
        type='CosineAnnealingLR',
        eta_min=0.3,
        by_epoch=True,
        begin=10,
        end=warmup_epochs),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=50, max_keep_ckpts=3))
