# FixMatch on CIFAR-10 with 250 labels (25 per class).
_base_ = ['./fixmatch_wrn-28-2_1xb64-mu7-1m_cifar10-40labels.py']
train_dataloader = dict(dataset=dict(labelled_per_class=25))
