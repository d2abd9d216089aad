# ResNet-32 for 32x32 images (the CIFAR-LT standard) with a linear head.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet32'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
