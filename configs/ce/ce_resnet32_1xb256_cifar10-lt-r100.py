# Cross-entropy baseline: ResNet-32 on CIFAR-10-LT, imbalance ratio 100.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar10_lt_bs256.py',
    '../_base_/schedules/cifar_lt_bs256_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
