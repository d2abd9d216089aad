# DeepLabV3-R50 on Cityscapes with the long-tailed pixel sampler on the
# decode head: pixels weighted by the square-root inverse frequency of their
# class, counted over the training batches (no statistics file needed). The
# loss averages over valid pixels so that it keeps its scale.
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    decode_head=dict(
        sampler=dict(type='LongTailPixelSampler'),
        loss_decode=dict(avg_non_ignore=True)))
# head / medium / tail groups from the validation ground truth; give
# stats_file=... (tools/analysis_tools/class_stats.py) for the train split's
val_evaluator = dict(type='LTIoUMetric')
test_evaluator = val_evaluator
