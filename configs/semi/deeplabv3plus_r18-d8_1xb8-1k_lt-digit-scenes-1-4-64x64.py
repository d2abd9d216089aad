# Supervised-only DeepLabV3+ on the labelled quarter of the train split.
_base_ = ['./deeplabv3plus_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py']
split_dir = 'data/lt_digit_scenes/splits/1_4'
train_dataloader = dict(
    dataset=dict(split_file=f'{split_dir}/labeled.txt'))
