# SimCLR on ImageNet-LT, ResNet-50, batch 256 (8 GPUs x 32, negatives
# gathered across GPUs), 500 epochs: the baseline of the GH paper's
# ImageNet-LT protocol, with the schedule of
# simclr-gh_resnet50_8xb32-500e_imagenet-lt.py.
_base_ = [
    '../_base_/datasets/imagenet_lt_simclr.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    type='SimCLR',
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_layers=2,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

max_epochs = 500
warmup_epochs = 400  # GH's plain-SSL warm-up, where the LR restarts
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=1e-4))
# linear warm-up, cosine 0.5 -> 0.1 until epoch 400, restart 0.1 -> 1e-6
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10),
    dict(
        type='CosineAnnealingLR',
        eta_min=0.1,
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
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
