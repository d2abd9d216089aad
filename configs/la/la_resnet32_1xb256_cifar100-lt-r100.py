# Logit-adjusted cross-entropy (loss form, tau = 1) on CIFAR-100-LT, ratio 100.
_base_ = ['../ce/ce_resnet32_1xb256_cifar100-lt-r100.py']
model = dict(head=dict(loss=dict(type='LogitAdjustCELoss', tau=1.0)))
