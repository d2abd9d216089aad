_base_ = ['./ce_resnet32_1xb256_cifar100-lt-r100.py']
train_dataloader = dict(dataset=dict(imbalance_ratio=10))
