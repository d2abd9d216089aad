# Supervised-only baseline with DeepLabV3+'s stride-4 decoder: the FCN
# baseline with its head swapped, nothing else.
_base_ = [
    './fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py',
    '../_base_/models/deeplabv3plus_r18-d8_lt-digit-scenes.py'
]
model = dict(decode_head=dict(_delete_=True, **_base_.decode_head))
