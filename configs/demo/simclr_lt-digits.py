# Demo: SimCLR pre-training on the built-in long-tailed LTDigits (486
# images, head/tail 10), a ResNet-18 of width 16 on 16x16 images, 100
# epochs: about 2.5 minutes on 2 CPU cores with OMP_NUM_THREADS=1.
# Evaluate with linear-probe_lt-digits.py.
# The schedule is the GH paper's CIFAR-100-LT recipe scaled from 1000 to
# 100 epochs, so simclr_lt-digits_gh.py differs from it only by GH.
_base_ = [
    '../_base_/datasets/lt_digits_simclr.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    type='SimCLR',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        stem_channels=16,
        base_channels=16,
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=128,
        hid_channels=128,
        out_channels=128,
        num_layers=2,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

max_epochs = 100
warmup_epochs = 50  # GH's plain-SSL warm-up; also where the LR restarts
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=5e-4))
# Linear warm-up, cosine 0.5 -> 0.3 until the GH warm-up ends, then a
# restarted cosine 0.3 -> 1e-6 (the reference's lr_scheduler_warm).
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2),
    dict(
        type='CosineAnnealingLR',
        eta_min=0.3,
        by_epoch=True,
        begin=2,
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
    logger=dict(type='LoggerHook', interval=25),
    checkpoint=dict(type='CheckpointHook', interval=50, max_keep_ckpts=1))
randomness = dict(seed=0)
