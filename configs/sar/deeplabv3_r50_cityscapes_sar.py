# Short name for deeplabv3-sar_r50-d8_4xb2-80k_cityscapes-512x1024.py.
_base_ = ['./deeplabv3-sar_r50-d8_4xb2-80k_cityscapes-512x1024.py']
