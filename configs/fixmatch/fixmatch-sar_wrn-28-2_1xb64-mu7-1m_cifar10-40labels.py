# FixMatch + SAR on CIFAR-10 with 40 labels (4 per class).
_base_ = ['./fixmatch_wrn-28-2_1xb64-mu7-1m_cifar10-40labels.py']
model = dict(sar=dict())
