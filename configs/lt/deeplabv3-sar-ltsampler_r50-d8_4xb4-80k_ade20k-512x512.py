# DeepLabV3-R50 on ADE20K with Semantic Anchor Regularization and the
# long-tailed pixel sampler together: SAR pulls each class's features to its
# anchor, the sampler re-weights the cross-entropy towards rare classes.
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

model = dict(
    type='SAREncoderDecoder',
    sar=dict(),
    decode_head=dict(
        sampler=dict(type='LongTailPixelSampler'),
        loss_decode=dict(avg_non_ignore=True)))
# head / medium / tail groups from the validation ground truth; give
# stats_file=... (tools/analysis_tools/class_stats.py) for the train split's
val_evaluator = dict(type='LTIoUMetric')
test_evaluator = val_evaluator
