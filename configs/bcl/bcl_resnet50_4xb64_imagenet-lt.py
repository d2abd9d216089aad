# BCL on ImageNet-LT with ResNet-50 from scratch, 90 epochs, batch 4 x 64:
# BCL's ImageNet-LT setting (T = 0.07, d = 1024, alpha = 1, beta = 0.35;
# SGD lr 0.1, weight decay 5e-4, cosine, no warm-up).
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_lt_bs64.py',
    'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    type='MultiViewImageClassifier',
    head=dict(
        _delete_=True,
        type='BCLHead',
        num_classes=1000,
        in_channels=2048,
        feat_channels=1024,
        loss=dict(type='LogitAdjustCELoss', tau=1.0, loss_weight=1.0),
        contrast_loss=dict(
            type='BalancedSupConLoss', temperature=0.07, loss_weight=0.35),
        topk=(1, 5)))
train_dataloader = dict(
    dataset=dict(pipeline=_base_.multiview_train_pipeline))
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(T_max=90, end=90)
train_cfg = dict(max_epochs=90)
