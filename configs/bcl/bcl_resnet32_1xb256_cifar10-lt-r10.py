_base_ = ['./bcl_resnet32_1xb256_cifar10-lt-r100.py']
train_dataloader = dict(dataset=dict(imbalance_ratio=10))
