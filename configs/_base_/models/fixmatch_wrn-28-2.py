# FixMatch's CIFAR-10 network: WideResNet-28-2 (1.47M parameters), global
# average pooling and a linear classifier with Glorot-normal weights.
model = dict(
    type='FixMatchClassifier',
    backbone=dict(type='WideResNet', depth=28, widen_factor=2),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        init_cfg=dict(type='Xavier', distribution='normal', layer='Linear'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    threshold=0.95,
    unsup_weight=1.0)
