# DeepLabV3-R50 on ADE20K with the class-balanced cross-entropy on the
# decode head, weights from the train split's class statistics. Create them
# first:
#   python tools/analysis_tools/class_stats.py \
#     configs/lt/deeplabv3-cbce_r50-d8_4xb4-80k_ade20k-512x512.py \
#     --out data/ade/ADEChallengeData2016/class_stats_train.json
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)

class_stats = 'data/ade/ADEChallengeData2016/class_stats_train.json'
model = dict(
    decode_head=dict(
        loss_decode=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            stats_file=class_stats)))
val_evaluator = dict(type='LTIoUMetric', stats_file=class_stats)
test_evaluator = val_evaluator
