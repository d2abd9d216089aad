# The SimCLR demo with Geometric Harmonization: K = 10 surrogate classes on
# the 128-d projections; plain SimCLR for the first half (the paper's
# 500 of 1000 epochs), then GH ramped in over 1 epoch with the prior
# refreshed every 2 epochs (10 and 20 of 1000 in the paper).
_base_ = ['./simclr_lt-digits.py']
model = dict(
    type='GHSimCLR',
    gh_loss=dict(type='GHLoss', num_classes=10, feat_dim=128))
custom_hooks = [
    dict(
        type='GHScheduleHook',
        warmup_epochs={{_base_.warmup_epochs}},
        ramp_epochs=1,
        refresh_interval=2)
]
