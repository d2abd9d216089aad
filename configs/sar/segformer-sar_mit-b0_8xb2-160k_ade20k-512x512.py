# SegFormer-MiT-B0 (all-MLP head, D=256) + SAR, ADE20K 160k.
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SAREncoderDecoder', sar=dict())
