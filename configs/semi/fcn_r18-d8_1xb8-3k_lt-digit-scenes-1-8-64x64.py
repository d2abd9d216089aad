# Supervised-only baseline of the 3,000-iteration FixMatch configs: the
# 1,000-iteration baseline, trained three times as long.
_base_ = ['./fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py']
max_iters = 3000
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
