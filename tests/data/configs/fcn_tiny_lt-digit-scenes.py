# The demo config shrunk for tests: a small scenes set and a few iterations.
_base_ = ['../../../configs/demo/fcn_lt-digit-scenes.py']
scenes = dict(data_root='data/lt_digit_scenes_tiny', num_train=24, num_val=6)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False, dataset=scenes)
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=scenes)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=8, val_interval=8)
default_hooks = dict(
    logger=dict(interval=2), checkpoint=dict(interval=4, max_keep_ckpts=3))
