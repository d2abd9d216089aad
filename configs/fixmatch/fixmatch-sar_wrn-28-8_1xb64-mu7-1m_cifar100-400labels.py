# FixMatch + SAR on CIFAR-100 with 400 labels (4 per class).
_base_ = ['./fixmatch_wrn-28-8_1xb64-mu7-1m_cifar100-400labels.py']
model = dict(sar=dict())
