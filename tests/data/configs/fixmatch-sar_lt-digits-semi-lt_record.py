# The long-tailed FixMatch + SAR demo with the test-only RecordHook, for
# multi-process tests.
_base_ = ['../../../configs/demo/fixmatch-sar_lt-digits-semi-lt.py']
custom_imports = dict(
    imports=['sar_mm', 'tests.data.record_hook'], allow_failed_imports=False)
custom_hooks = [
    dict(type='ClassCountsHook'),
    dict(type='EMAHook', momentum=0.01, evaluate_on_origin=True),
    dict(type='RecordHook'),
]
