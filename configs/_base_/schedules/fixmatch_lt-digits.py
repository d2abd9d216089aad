# FixMatch's optimisation (fixmatch_1m.py: SGD with Nesterov momentum, lr
# 0.03 decayed as cos(7 pi k / 16 K), weight decay 5e-4, evaluation of an
# EMA of the weights) over a CPU-sized number of iterations.
_base_ = ['./fixmatch_1m.py']
max_iters = 600
param_scheduler = [dict(type='FixMatchCosineLR', end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
custom_hooks = [
    dict(type='ClassCountsHook'),
    # mmpretrain's EMAHook evaluates the averaged weights. FixMatch's decay
    # 0.999 (momentum 0.001) averages over ~1,000 of its 2^20 steps; over a
    # 600-step run it would still weigh the first steps' weights (55 %),
    # so the demos average over ~100 steps (decay 0.99), and also evaluate
    # the raw weights (metrics suffixed _origin): this early in training
    # the average trails them.
    dict(type='EMAHook', momentum=0.01, evaluate_on_origin=True),
]
randomness = dict(seed=0)
