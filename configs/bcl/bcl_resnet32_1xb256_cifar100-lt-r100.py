# BCL on CIFAR-100-LT, imbalance ratio 100 (ResNet-32, 200 epochs).
_base_ = [
    '../_base_/models/bcl_resnet32_cifar.py',
    '../_base_/datasets/cifar100_lt_bs256.py',
    '../_base_/schedules/cifar_lt_bs256_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(head=dict(num_classes=100))
train_dataloader = dict(
    dataset=dict(pipeline=_base_.multiview_train_pipeline))
