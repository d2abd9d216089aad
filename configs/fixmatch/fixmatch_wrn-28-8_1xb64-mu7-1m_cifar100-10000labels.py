# FixMatch on CIFAR-100 with 10000 labels (100 per class).
_base_ = ['./fixmatch_wrn-28-8_1xb64-mu7-1m_cifar100-400labels.py']
train_dataloader = dict(dataset=dict(labelled_per_class=100))
