# FixMatch (RandAugment) on CIFAR-100 with 400 labels (4 per class):
# WRN-28-8, weight decay 1e-3, otherwise as on CIFAR-10.
_base_ = [
    '../_base_/models/fixmatch_wrn-28-2.py',
    '../_base_/datasets/cifar100_semi.py',
    '../_base_/schedules/fixmatch_1m.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(
    backbone=dict(widen_factor=8),
    head=dict(num_classes=100, in_channels=512))
optim_wrapper = dict(optimizer=dict(weight_decay=1e-3))
