# FixMatch with DeepLabV3+'s stride-4 decoder: the FCN FixMatch demo with
# the segmentor's head swapped, so it contains
# deeplabv3plus_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py.
_base_ = [
    './fixmatch-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py',
    '../_base_/models/deeplabv3plus_r18-d8_lt-digit-scenes.py'
]
model = dict(
    segmentor=dict(decode_head=dict(_delete_=True, **_base_.decode_head)))
