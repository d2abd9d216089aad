# Short name for deeplabv3-sar_r50-d8_4xb4-80k_ade20k-512x512.py.
_base_ = ['./deeplabv3-sar_r50-d8_4xb4-80k_ade20k-512x512.py']
