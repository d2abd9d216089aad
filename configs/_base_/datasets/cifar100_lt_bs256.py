# CIFAR-100-LT: the CIFAR-10-LT settings (same views, AutoAugment CIFAR-10
# policy as in the reference) with CIFAR-100 data and statistics.
_base_ = ['./cifar10_lt_bs256.py']

dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
