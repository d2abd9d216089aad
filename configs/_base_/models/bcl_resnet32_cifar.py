# BCL with ResNet-32: the backbone runs once on all views of a batch; BCL's
# CIFAR setting (T = 0.1, d = 128, alpha = 2, beta = 0.6) with the 512-wide
# MLPs of BCL's CIFAR pipeline (ProCo_cifar/models/resnet_cifar.py).
model = dict(
    type='MultiViewImageClassifier',
    backbone=dict(type='ResNet32'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='BCLHead',
        num_classes=10,
        in_channels=64,
        hidden_channels=512,
        feat_channels=128,
        logit_scale=30.,
        loss=dict(type='LogitAdjustCELoss', tau=1.0, loss_weight=2.0),
        contrast_loss=dict(
            type='BalancedSupConLoss', temperature=0.1, loss_weight=0.6)))
