# The tiny FixMatch config with SAR and an EMA teacher: every stateful part
# of semi-supervised training (student, teacher, SAR anchors and gate).
_base_ = ['./fixmatch_tiny_lt-digit-scenes.py']
model = dict(sar=dict(), semi_train_cfg=dict(ema_teacher=True))
custom_hooks = [dict(type='MeanTeacherHook')]
