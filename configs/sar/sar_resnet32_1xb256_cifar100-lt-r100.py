# Semantic Anchor Regularization on the CE baseline, CIFAR-100-LT, ratio 100.
_base_ = ['../ce/ce_resnet32_1xb256_cifar100-lt-r100.py']
model = dict(head=dict(type='SARLinearClsHead', sar=dict()))
