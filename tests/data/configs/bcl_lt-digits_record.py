# The BCL demo with the test-only RecordHook, for multi-process tests.
_base_ = ['../../../configs/demo/bcl_lt-digits.py']
custom_imports = dict(
    imports=['sar_mm', 'tests.data.record_hook'], allow_failed_imports=False)
custom_hooks = [dict(type='ClassCountsHook'), dict(type='RecordHook')]
