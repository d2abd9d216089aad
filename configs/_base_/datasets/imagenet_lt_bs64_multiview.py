# ImageNet-LT for multi-view training (BCL, RCL): one classification view and
# two contrastive views per image, kept apart by default_collate +
# SelfSupDataPreprocessor; evaluation is single-view.
_base_ = ['./imagenet_lt_bs64.py']

data_preprocessor = dict(
    _delete_=True,
    type='SelfSupDataPreprocessor',
    mean=_base_.data_preprocessor.mean,
    std=_base_.data_preprocessor.std,
    to_rgb=True)
train_dataloader = dict(
    collate_fn=dict(type='default_collate'),
    dataset=dict(pipeline=_base_.multiview_train_pipeline))
val_dataloader = dict(collate_fn=dict(type='default_collate'))
test_dataloader = dict(collate_fn=dict(type='default_collate'))
