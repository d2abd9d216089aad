# CIFAR-10-LT for multi-view training (BCL, RCL): one classification view and
# two contrastive views per image. default_collate + SelfSupDataPreprocessor
# keep the views apart (one batch tensor per view); evaluation is single-view.
_base_ = ['./cifar10_lt_bs256.py']

data_preprocessor = dict(
    _delete_=True,
    type='SelfSupDataPreprocessor',
    mean=_base_.data_preprocessor.mean,
    std=_base_.data_preprocessor.std,
    to_rgb=False)
train_dataloader = dict(
    collate_fn=dict(type='default_collate'),
    dataset=dict(pipeline=_base_.multiview_train_pipeline))
val_dataloader = dict(collate_fn=dict(type='default_collate'))
test_dataloader = val_dataloader
