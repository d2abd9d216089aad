# SimCLR + Geometric Harmonization on CIFAR-100-LT: the GH paper's CIFAR
# recipe. K = 100 surrogate classes on the 128-d projections, plain SimCLR
# for 500 epochs, then GH ramped in over 10 epochs; the prior is refreshed
# at the end of the warm-up and every 20 epochs, from per-sample running
# predictions (decay 0.9 during the warm-up, 0.999 after).
_base_ = ['./simclr_resnet18_1xb512-1000e_cifar100-lt.py']
model = dict(
    type='GHSimCLR',
    gh_loss=dict(type='GHLoss', num_classes=100, feat_dim=128))
custom_hooks = [
    dict(
        type='GHScheduleHook',
        warmup_epochs={{_base_.warmup_epochs}},
        ramp_epochs=10,
        refresh_interval=20)
]
