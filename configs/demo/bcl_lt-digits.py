# Balanced Contrastive Learning on LTDigits: the CE demo with BCL's model
# (3 views per image through the backbone once, BCLHead) and 3-view data.
_base_ = ['./ce_lt-digits.py']
model = dict(
    type='MultiViewImageClassifier',
    head=dict(
        _delete_=True,
        type='BCLHead',
        num_classes=10,
        in_channels=64,
        feat_channels=128,
        loss=dict(type='LogitAdjustCELoss', loss_weight=2.0),
        contrast_loss=dict(
            type='BalancedSupConLoss', temperature=0.1, loss_weight=0.6)))
train_dataloader = dict(
    dataset=dict(pipeline=_base_.multiview_train_pipeline))
