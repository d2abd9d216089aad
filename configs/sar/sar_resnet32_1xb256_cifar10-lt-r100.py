# Semantic Anchor Regularization on the CE baseline, CIFAR-10-LT, ratio 100.
_base_ = ['../ce/ce_resnet32_1xb256_cifar10-lt-r100.py']
model = dict(head=dict(type='SARLinearClsHead', sar=dict()))
