# configs/sar/sar_vit-base-p16_64xb64_in1k.py (which inherits mmpretrain's
# ViT-B/16 config) shrunk for a CPU test: a 2-layer, 32-d ViT on 16x16
# LTDigits, 4x4 patches; the head keeps a hidden layer (pre_logits).
_base_ = ['../../../configs/sar/sar_vit-base-p16_64xb64_in1k.py']
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=32,
            num_layers=2,
            num_heads=2,
            feedforward_channels=64),
        img_size=16,
        patch_size=4,
        drop_rate=0.),
    head=dict(num_classes=10, in_channels=32, hidden_dim=48))
data_preprocessor = dict(
    num_classes=10, mean=[78.1] * 3, std=[81.4] * 3, to_rgb=False)
digits = dict(type='LTDigits', img_size=16, imbalance_ratio=10)
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        **digits,
        pipeline=[
            dict(type='RandomCrop', crop_size=16, padding=2),
            dict(type='PackInputs')
        ]))
val_dataloader = dict(
    batch_size=50,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        **digits,
        split='test',
        test_per_class=5,
        pipeline=[dict(type='PackInputs')]))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='LTAccuracy', many_thresh=60, few_thresh=20)
test_evaluator = val_evaluator
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(by_epoch=False, interval=2))
