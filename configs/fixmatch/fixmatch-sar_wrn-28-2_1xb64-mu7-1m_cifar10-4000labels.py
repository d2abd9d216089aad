# FixMatch + SAR on CIFAR-10 with 4000 labels (400 per class).
_base_ = ['./fixmatch_wrn-28-2_1xb64-mu7-1m_cifar10-4000labels.py']
model = dict(sar=dict())
