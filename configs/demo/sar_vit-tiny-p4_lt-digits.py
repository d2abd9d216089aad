# ViT with Semantic Anchor Regularization on the built-in LTDigits (ratio
# 10), no download: the small-data path to configs/sar/
# sar_vit-base-p16_64xb64_in1k.py (ViT-B/16 on ImageNet). A 4-layer, 64-d
# ViT on 16x16 digits in 4x4 patches, from scratch; its
# VisionTransformerClsHead keeps the hidden layer whose output (pre_logits)
# SAR pulls to the class anchors, which pass through layers.head. SAR pulls
# towards hard labels, so no Mixup (label smoothing stays, as in the
# ImageNet recipe). 100 epochs of 8 batches: about 2.5 minutes on 2 CPU
# cores with OMP_NUM_THREADS=1, 85.4 % top-1 on the balanced test split
# (seed 0, one run).
_base_ = [
    'sar_mm::_base_/datasets/lt_digits.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

embed_dims = 64
model = dict(
    type='SARImageClassifier',
    sar=dict(),
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=embed_dims,
            num_layers=4,
            num_heads=4,
            feedforward_channels=2 * embed_dims),
        img_size=_base_.img_size,
        patch_size=4,
        drop_rate=0.1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=embed_dims,
        hidden_dim=96,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1,
            mode='original')))

max_epochs = 100
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=3,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=3, end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
randomness = dict(seed=0)
