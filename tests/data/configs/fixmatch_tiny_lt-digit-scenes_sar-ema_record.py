# The tiny FixMatch + SAR + EMA teacher config with the test-only
# RecordHook, for multi-process tests.
_base_ = ['./fixmatch_tiny_lt-digit-scenes_sar-ema.py']
custom_imports = dict(
    imports=['sar_mm', 'tests.data.record_hook'], allow_failed_imports=False)
custom_hooks = [dict(type='MeanTeacherHook'), dict(type='RecordHook')]
