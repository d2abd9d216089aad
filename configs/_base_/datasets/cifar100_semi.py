# Semi-supervised CIFAR-100 in FixMatch's protocol (see cifar10_semi.py).
_base_ = ['./cifar10_semi.py']
dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])
pool = dict(type=dataset_type, data_root=data_root, imbalance_ratio=1)
train_dataloader = dict(dataset=dict(dataset=pool))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
