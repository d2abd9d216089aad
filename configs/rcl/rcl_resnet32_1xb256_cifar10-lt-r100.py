# RCL on CIFAR-10-LT, ratio 100: BCL with the rebalanced contrastive loss
# (class-prior balancing tau = 1, view features scaled by 1.5; our untuned
# choice, the paper's values are not known to us).
_base_ = ['../bcl/bcl_resnet32_1xb256_cifar10-lt-r100.py']
model = dict(
    head=dict(
        contrast_loss=dict(
            type='RebalancedSupConLoss', prior_tau=1.0, feat_scale=1.5)))
