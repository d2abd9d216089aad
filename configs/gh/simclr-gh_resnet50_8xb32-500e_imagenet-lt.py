# SimCLR + Geometric Harmonization on ImageNet-LT: the GH paper's ImageNet
# recipe. K = 100 on the 128-d projections, plain SimCLR for 400 epochs,
# GH ramped in over 30 epochs, prior refreshed every 20 epochs with a floor
# of 100 per surrogate class.
_base_ = ['./simclr_resnet50_8xb32-500e_imagenet-lt.py']
model = dict(
    type='GHSimCLR',
    gh_loss=dict(
        type='GHLoss', num_classes=100, feat_dim=128, prior_floor=100))
custom_hooks = [
    dict(
        type='GHScheduleHook',
        warmup_epochs={{_base_.warmup_epochs}},
        ramp_epochs=30,
        refresh_interval=20)
]
