# The FixMatch configuration that beats supervised-only training on the
# long-tailed scenes (benchmarks/results/semi_seg_3k_dm.md): the FixMatch
# demo, 3,000 iterations, with pseudo-labels from an EMA teacher
# (MeanTeacherHook) that start after a burn-in of 1,000 iterations and ramp
# up over 500 (Unbiased Teacher; mmdet's semi-supervised configs), and
# selected by distribution matching (DARS): each class keeps at most its
# labelled share of the pixels, so background cannot fill the pseudo-labels
# and the rare digits keep theirs. It contains
# fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-8-64x64.py.
_base_ = ['./fixmatch-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py']
model = dict(
    semi_train_cfg=dict(
        ema_teacher=True, burn_in_iters=1000, warmup_iters=500),
    pseudo_label=dict(type='DistributionMatching'))
custom_hooks = [dict(type='MeanTeacherHook')]
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
