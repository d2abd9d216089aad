# The tiny SAR config with a deterministic pipeline (no random
# augmentation) and the test-only RecordHook, for multi-process tests.
_base_ = ['./fcn_tiny_lt-digit-scenes_sar.py']
custom_imports = dict(
    imports=['sar_mm', 'tests.data.record_hook'], allow_failed_imports=False)
train_dataloader = dict(
    batch_size=8,
    sampler=dict(type='InfiniteSampler', shuffle=True, seed=0),
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]))
custom_hooks = [dict(type='RecordHook')]
