# The UniMatch config with Semantic Anchor Regularization: one switch. The
# pseudo-label loss keeps every pixel here (conf_thresh 0), SAR pulls only
# those with confidence >= 0.95.
_base_ = ['./unimatch-deeplabv3plus_r101-d16_4xb4-84k_cityscapes-1-16-801x801.py']  # noqa: E501
model = dict(sar=dict(unsup_conf_thresh=0.95))
