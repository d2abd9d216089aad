# DeepLabV3-R50-D8 (ASPP head, D=512) + SAR, ADE20K 80k. Upstream baseline: 42.42 mIoU.
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SAREncoderDecoder', sar=dict())
