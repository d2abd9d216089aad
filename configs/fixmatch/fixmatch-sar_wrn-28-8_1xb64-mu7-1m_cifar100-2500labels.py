# FixMatch + SAR on CIFAR-100 with 2500 labels (25 per class).
_base_ = ['./fixmatch_wrn-28-8_1xb64-mu7-1m_cifar100-2500labels.py']
model = dict(sar=dict())
