# Supervised FCN on your own dataset (my_set.py): the built-in demo's small
# ResNet-18-D8 from scratch, 3 classes, 100 iterations of 4 images (about
# a minute on 2 CPU cores; a real dataset wants 20k-80k, mmseg's schedules).
_base_ = [
    'mmseg::_base_/models/fcn_r50-d8.py',
    './my_set.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

num_classes = 3
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size=_base_.crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=128,
        channels=64,
        num_classes=num_classes,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=64,
        channels=32,
        num_classes=num_classes,
        norm_cfg=norm_cfg))

max_iters = 100
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
