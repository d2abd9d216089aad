# UPerNet-R50 + SAR (auxiliary FCN head untouched), ADE20K 160k.
_base_ = ['mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SAREncoderDecoder', sar=dict())
